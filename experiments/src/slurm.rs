//! SLURM job scripts for a sharded run: an `sbatch --array=1-N` job whose
//! task `K` runs `xbarsim run CONFIG --shard K/N --out OUT`, and a merge job
//! that starts when every task succeeded (`--dependency=afterok`). All
//! shards write their unit files into the one results directory `OUT`
//! (which must be on a file system every node sees); the merge job writes
//! the table, `run.json` and the figures there.

use std::path::Path;

/// Settings of the generated scripts.
#[derive(Debug, Clone)]
pub struct SlurmJob<'a> {
    /// Number of shards (array tasks).
    pub shards: usize,
    /// The program to run (absolute path).
    pub program: &'a Path,
    /// The config (absolute path).
    pub config: &'a Path,
    /// The results directory (absolute path).
    pub out: &'a Path,
    /// Threads per task (`--cpus-per-task`, `--jobs`).
    pub cpus: usize,
    /// Wall-time limit per task (`--time`), e.g. `12:00:00`; none = the
    /// partition's.
    pub time: Option<&'a str>,
    /// Partition; none = the default.
    pub partition: Option<&'a str>,
    /// The experiment's name (job names).
    pub name: &'a str,
}

/// Quotes `s` for a POSIX shell.
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

fn header(job: &SlurmJob<'_>, name: &str, log: &str) -> String {
    let mut lines = vec![
        "#!/bin/bash".to_string(),
        format!("#SBATCH --job-name={name}"),
        format!("#SBATCH --cpus-per-task={}", job.cpus),
        "#SBATCH --ntasks=1".to_string(),
        format!(
            "#SBATCH --output={}",
            job.out.join("slurm").join(log).display()
        ),
    ];
    if let Some(t) = job.time {
        lines.push(format!("#SBATCH --time={t}"));
    }
    if let Some(p) = job.partition {
        lines.push(format!("#SBATCH --partition={p}"));
    }
    lines.join("\n")
}

/// The three files, as `(file name, text)`: `shards.sbatch`,
/// `merge.sbatch` and `submit.sh` (which submits both, the merge after the
/// array; `submit.sh --wait` returns when the merge has ended, with its
/// exit status).
pub fn scripts(job: &SlurmJob<'_>) -> Vec<(&'static str, String)> {
    let program = quote(&job.program.display().to_string());
    let config = quote(&job.config.display().to_string());
    let out = quote(&job.out.display().to_string());
    let shards = format!(
        "{}\n#SBATCH --array=1-{n}\n\
         # Task K of the array runs shard K/{n} of the points; a task that is\n\
         # requeued or run again resumes from the unit files already written.\n\
         set -euo pipefail\n\
         exec {program} run {config} --out {out} --shard \"${{SLURM_ARRAY_TASK_ID}}/{n}\" --jobs \"${{SLURM_CPUS_PER_TASK:-{cpus}}}\" --quiet\n",
        header(job, &format!("{}-shards", job.name), "shard-%a.log"),
        n = job.shards,
        cpus = job.cpus,
    );
    let merge = format!(
        "{}\n\
         # Runs after every shard succeeded: the table, run.json and figures.\n\
         set -euo pipefail\n\
         exec {program} merge {out} --out {out}\n",
        header(job, &format!("{}-merge", job.name), "merge.log"),
    );
    let dir = quote(&job.out.join("slurm").display().to_string());
    let submit = format!(
        "#!/bin/bash\n\
         # Submits the shard array, then the merge to run once all shards succeeded.\n\
         # Usage: submit.sh [--wait]   (--wait: return when the merge has ended,\n\
         # with its exit status)\n\
         set -euo pipefail\n\
         cd {dir}\n\
         array=$(sbatch --parsable shards.sbatch)\n\
         array=${{array%%;*}}\n\
         echo \"submitted shards: job $array (array 1-{n})\"\n\
         if [ \"${{1:-}}\" = \"--wait\" ]; then\n\
         \x20   echo \"waiting for the merge job...\"\n\
         \x20   sbatch --parsable --wait --kill-on-invalid-dep=yes --dependency=afterok:\"$array\" merge.sbatch\n\
         else\n\
         \x20   merge=$(sbatch --parsable --kill-on-invalid-dep=yes --dependency=afterok:\"$array\" merge.sbatch)\n\
         \x20   echo \"submitted merge: job ${{merge%%;*}} (after $array succeeds)\"\n\
         fi\n",
        n = job.shards,
    );
    vec![
        ("shards.sbatch", shards),
        ("merge.sbatch", merge),
        ("submit.sh", submit),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_array_runs_every_shard_and_the_merge_waits_for_it() {
        let job = SlurmJob {
            shards: 4,
            program: Path::new("/opt/xbarsim"),
            config: Path::new("/home/me/it's.toml"),
            out: Path::new("/scratch/out"),
            cpus: 2,
            time: Some("01:00:00"),
            partition: None,
            name: "demo",
        };
        let files = scripts(&job);
        let shards = &files[0].1;
        assert!(shards.contains("#SBATCH --array=1-4\n"));
        assert!(shards.contains("--shard \"${SLURM_ARRAY_TASK_ID}/4\""));
        assert!(shards.contains("'/home/me/it'\\''s.toml'"));
        assert!(shards.contains("#SBATCH --time=01:00:00"));
        assert!(!shards.contains("--partition"));
        assert!(files[1]
            .1
            .contains("merge '/scratch/out' --out '/scratch/out'"));
        assert!(files[2]
            .1
            .contains("--dependency=afterok:\"$array\" merge.sbatch"));
    }
}
