"""Writes crosssim-lookup-example.csv from CrossSim's measured set/reset ramps.

Source: github.com/sandialabs/cross-sim, commit b30b36596290a946ccaf7624ce3f39461ed74460,
examples/lookup_table_generation/lookup_table_example/{set,reset}.csv (BSD-3-Clause).
Each column of set.csv (reset.csv) is one ramp of potentiating (depressing) pulses, the read
current (A) at 0.1 V after each pulse; the ramps alternate set, reset, set, ... on one device
(CrossSim's create_lookup_table.py). Trailing empty cells end a ramp.

    python crosssim_lookup_example.py SET.csv RESET.csv > crosssim-lookup-example.csv
"""
import sys

import numpy as np

READ_VOLTAGE_V = 0.1


def ramps(path):
    data = np.genfromtxt(path, delimiter=",", skip_header=1)
    out = []
    for column in data.T:
        column = column[~np.isnan(column)]
        column = column[column != 0]
        if len(column):
            out.append(column / READ_VOLTAGE_V)
    return out


def main():
    sets, resets = ramps(sys.argv[1]), ramps(sys.argv[2])
    pairs = min(len(sets), len(resets))
    print("# MEASURED DATA: one device, CrossSim's example of measured LTP/LTD ramps for lookup-table")
    print("# generation (sandialabs/cross-sim b30b365, examples/lookup_table_generation/lookup_table_example,")
    print("# BSD-3-Clause, Copyright 2017 Sandia Corporation). Read current at 0.1 V divided by 0.1 V, in S.")
    print(f"# {pairs} cycles of one set ramp (+1) and one reset ramp (-1); see README.md beside this file.")
    print("pulse_voltage_V,device_01")
    for up, down in zip(sets[:pairs], resets[:pairs]):
        for g in up:
            print(f"1,{g:.6g}")
        for g in down:
            print(f"-1,{g:.6g}")


if __name__ == "__main__":
    main()
