#!/usr/bin/env python3
"""Lets a copy of MLP_NeuroSim V3.0 take its device and run settings from
environment variables, so that one build runs the whole device table.

    bench/neurosim-patch.py NEUROSIM_DIR

Edits NEUROSIM_DIR in place (a scratch copy, never the fetched snapshot) and
changes nothing when no variable is set, except the thread count (1 unless
NS_THREADS says otherwise; the shipped main.cpp asks for 16):

  NS_GMAX, NS_GMIN          G_max, G_min of RealDevice (S)
  NS_LEVELS_LTP/_LTD        maxNumLevelLTP / maxNumLevelLTD
  NS_NL_LTP, NS_NL_LTD      NL labels (A from getParamA, as the constructor)
  NS_NONLINEAR_WRITE        0: linear write (for NL = 0; getParamA(0) is out of its table)
  NS_C2C                    sigmaCtoC / (G_max - G_min) (shipped 0.035)
  NS_R_ACCESS               resistanceAccess (Ohm, shipped 15e3)
  NS_FEFET                  1: FeFET cell (no access resistance in the read)
  NS_INIT_GMIN              1: WriteCell's initialisation adds G_min (shipped: it does not)
  NS_WIRE_WIDTH             Param::arrayWireWidth (nm, shipped 100; -1: no wire resistance)
  NS_EPOCHS                 totalNumEpochs (shipped 125)
  NS_SEED                   seed of gen and of srand() after the weight init (shipped 0;
                            glibc's srand(0) is srand(1): use seeds >= 1)
  NS_INIT_SEED              srand() of the weight initialisation (Mapping.cpp, shipped 2:
                            every run starts from the same weights)
  NS_THREADS                OpenMP threads (default 1)
  NS_FAST                   1: skip NeuroSim's circuit-level energy and latency
                            (writeEnergyReport, NeuroSimDynamicPerformance = false);
                            they do not feed back into the accuracy
  NS_IMAGES                 numTrainImagesPerEpoch (shipped 8000; for timing only)

Only NeuroSim's own variables are set; its equations are untouched.
"""
import re
import sys


def sub_once(text, old, new, path):
    if text.count(old) < 1:
        sys.exit(f"{path}: expected text not found: {old[:60]!r} (another NeuroSim version?)")
    return text.replace(old, new, 1)


def patch(d):
    p = f"{d}/Cell.cpp"
    s = open(p).read()
    if "NS_GMAX" not in s:
        start = s.index("RealDevice::RealDevice(int x, int y)")
        anchor = "heightInFeatureSize = cmosAccess? 4 : 2;"
        at = s.index(anchor, start)
        block = r"""{   /* xbarsim bench/neurosim-patch.py: device from the environment */
		const char *e;
		if ((e = getenv("NS_GMAX"))) maxConductance = atof(e);
		if ((e = getenv("NS_GMIN"))) minConductance = atof(e);
		avgMaxConductance = maxConductance; avgMinConductance = minConductance;
		conductance = minConductance; conductancePrev = conductance;
		if ((e = getenv("NS_LEVELS_LTP"))) maxNumLevelLTP = atoi(e);
		if ((e = getenv("NS_LEVELS_LTD"))) maxNumLevelLTD = atoi(e);
		if ((e = getenv("NS_NL_LTP"))) NL_LTP = atof(e);
		if ((e = getenv("NS_NL_LTD"))) NL_LTD = atof(e);
		if ((e = getenv("NS_NONLINEAR_WRITE"))) nonlinearWrite = atoi(e) != 0;
		if (nonlinearWrite) {
			paramALTP = getParamA(NL_LTP) * maxNumLevelLTP;
			paramALTD = getParamA(NL_LTD) * maxNumLevelLTD;
		}
		double c2c = 0.035;
		if ((e = getenv("NS_C2C"))) c2c = atof(e);
		sigmaCtoC = c2c * (maxConductance - minConductance);
		gaussian_dist3 = new std::normal_distribution<double>(0, sigmaCtoC);
		if ((e = getenv("NS_R_ACCESS"))) resistanceAccess = atof(e);
		if ((e = getenv("NS_FEFET"))) FeFET = atoi(e) != 0;
	}
	"""
        s = s[:at] + block + s[at:]
        if "#include <cstdlib>" not in s:
            s = "#include <cstdlib>\n" + s
        open(p, "w").write(s)

    p = f"{d}/Array.cpp"
    s = open(p).read()
    if "NS_INIT_GMIN" not in s:
        s = sub_once(
            s,
            "conductance = (weight-minWeight)/(maxWeight-minWeight) * (maxConductance - minConductance);",
            "conductance = (weight-minWeight)/(maxWeight-minWeight) * (maxConductance - minConductance)"
            " + ((getenv(\"NS_INIT_GMIN\") && atoi(getenv(\"NS_INIT_GMIN\"))) ? minConductance : 0);",
            p,
        )
        open(p, "w").write(s)

    p = f"{d}/Param.cpp"
    s = open(p).read()
    if "NS_EPOCHS" not in s:
        s = sub_once(s, "processNode = 32;",
                     "processNode = 32;\n\tif (getenv(\"NS_EPOCHS\")) totalNumEpochs = atoi(getenv(\"NS_EPOCHS\"));\n"
                     "\tif (getenv(\"NS_WIRE_WIDTH\")) arrayWireWidth = atoi(getenv(\"NS_WIRE_WIDTH\"));\n"
                     "\tif (getenv(\"NS_IMAGES\")) numTrainImagesPerEpoch = atoi(getenv(\"NS_IMAGES\"));\n"
                     "\tif (getenv(\"NS_FAST\") && atoi(getenv(\"NS_FAST\"))) { writeEnergyReport = false; NeuroSimDynamicPerformance = false; }", p)
        s = "#include <cstdlib>\n" + s
        open(p, "w").write(s)

    p = f"{d}/Mapping.cpp"
    s = open(p).read()
    if "NS_INIT_SEED" not in s:
        s = sub_once(s, "srand(2);",
                     "srand(getenv(\"NS_INIT_SEED\") ? atoi(getenv(\"NS_INIT_SEED\")) : 2);", p)
        if "#include <cstdlib>" not in s:
            s = "#include <cstdlib>\n" + s
        open(p, "w").write(s)

    p = f"{d}/main.cpp"
    s = open(p).read()
    if "NS_SEED" not in s:
        s = sub_once(s, "gen.seed(0);",
                     "int nsSeed = getenv(\"NS_SEED\") ? atoi(getenv(\"NS_SEED\")) : 0;\n\tgen.seed(nsSeed);", p)
        s = sub_once(s, "srand(0);", "srand(nsSeed);", p)
        s = re.sub(r"omp_set_num_threads\(16\);",
                   "omp_set_num_threads(getenv(\"NS_THREADS\") ? atoi(getenv(\"NS_THREADS\")) : 1);", s)
        open(p, "w").write(s)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    patch(sys.argv[1])
    print(f"{sys.argv[1]}: patched")
