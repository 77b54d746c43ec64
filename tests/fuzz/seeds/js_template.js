const s = `a${`b${c}`}`; // x
