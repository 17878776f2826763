package org.llmri.causal;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.llmri.LlmriException;
import org.llmri.model.Tap;

/**
 * Every recorded unit (a scan's columns) with its model tap, index within the tap and control-block statistics,
 * and the matched null sets drawn from it: for each unit of a set, a unit of the same tap (so the same layer) in
 * the same decile of control-block variance (deciles within the tap), never a unit of the excluded set; a decile
 * too small is completed from the tap's other deciles, and a tap the network nearly fills from the tap's network
 * units (a large network's random sets then overlap it).
 */
public final class UnitPool {
    private final Tap[] tapOf;
    private final int[] indexOf;
    private final double[] controlMean;
    private final double[] controlVar;
    private final int[] stratum;
    private final Map<Integer, int[]> members = new HashMap<>();
    private final Map<Tap, int[]> tapMembers = new LinkedHashMap<>();

    public UnitPool(Tap[] tapOf, int[] indexOf, double[] controlMean, double[] controlVar) {
        int n = tapOf.length;
        if (indexOf.length != n || controlMean.length != n || controlVar.length != n) throw new IllegalArgumentException("unit arrays differ in length");
        this.tapOf = tapOf.clone();
        this.indexOf = indexOf.clone();
        this.controlMean = controlMean.clone();
        this.controlVar = controlVar.clone();
        this.stratum = new int[n];
        Map<Tap, List<Integer>> byTap = new LinkedHashMap<>();
        for (int g = 0; g < n; g++) byTap.computeIfAbsent(tapOf[g], t -> new ArrayList<>()).add(g);
        int t = 0;
        Map<Integer, List<Integer>> strata = new HashMap<>();
        for (var e : byTap.entrySet()) {
            List<Integer> units = new ArrayList<>(e.getValue());
            tapMembers.put(e.getKey(), units.stream().mapToInt(Integer::intValue).toArray());
            // ties broken by unit number, so the strata do not depend on sort stability
            units.sort((a, b) -> {
                int c = Double.compare(controlVar[a], controlVar[b]);
                return c != 0 ? c : Integer.compare(a, b);
            });
            for (int r = 0; r < units.size(); r++) {
                int key = t * 10 + (int) (10L * r / units.size());
                stratum[units.get(r)] = key;
                strata.computeIfAbsent(key, k -> new ArrayList<>()).add(units.get(r));
            }
            t++;
        }
        for (var e : strata.entrySet()) {
            int[] m = e.getValue().stream().mapToInt(Integer::intValue).sorted().toArray();
            members.put(e.getKey(), m);
        }
    }

    public int size() {
        return tapOf.length;
    }

    public Tap tapOf(int unit) {
        return tapOf[unit];
    }

    public UnitSet set(int[] units) {
        return UnitSet.of(units, tapOf, indexOf);
    }

    /** Per tap: every unit's control-block mean (the value mean ablation sets). */
    public Map<Tap, float[]> controlMeans() {
        return perTap(controlMean);
    }

    /** Per tap, a unit value vector over the tap (values[g] at the unit's index); other entries 0. */
    public Map<Tap, float[]> perTap(double[] values) {
        Map<Tap, float[]> out = new LinkedHashMap<>();
        for (int g = 0; g < tapOf.length; g++) out.computeIfAbsent(tapOf[g], t -> new float[t.width()])[indexOf[g]] = (float) values[g];
        return out;
    }

    /** A null set matched to {@code units}: same tap and control-variance decile, none in {@code exclude}, no repeats. */
    public int[] matched(int[] units, BitSet exclude, SplittableRandom rng) {
        Map<Integer, Integer> need = new LinkedHashMap<>();
        for (int g : units) need.merge(stratum[g], 1, Integer::sum);
        BitSet taken = new BitSet();
        int[] out = new int[units.length];
        int k = 0;
        Map<Tap, Integer> shortfall = new LinkedHashMap<>();
        for (var e : need.entrySet()) {
            int got = draw(members.get(e.getKey()), e.getValue(), exclude, taken, rng, out, k);
            k += got;
            if (got < e.getValue()) shortfall.merge(tapOf[members.get(e.getKey())[0]], e.getValue() - got, Integer::sum);
        }
        for (var e : shortfall.entrySet()) { // a stratum too small: the rest from the same tap's other deciles
            int got = draw(tapMembers.get(e.getKey()), e.getValue(), exclude, taken, rng, out, k);
            k += got;
            if (got < e.getValue()) { // the network holds most of the tap: the rest may overlap it (never the set itself twice)
                int more = draw(tapMembers.get(e.getKey()), e.getValue() - got, new BitSet(), taken, rng, out, k);
                k += more;
                if (got + more < e.getValue()) throw new LlmriException("tap " + e.getKey().name() + " has too few units for a matched random set");
            }
        }
        java.util.Arrays.sort(out);
        return out;
    }

    private static int draw(int[] pool, int n, BitSet exclude, BitSet taken, SplittableRandom rng, int[] out, int at) {
        int[] free = java.util.Arrays.stream(pool).filter(g -> !exclude.get(g) && !taken.get(g)).toArray();
        int m = Math.min(n, free.length);
        for (int i = 0; i < m; i++) { // partial Fisher–Yates
            int j = i + rng.nextInt(free.length - i);
            int x = free[j];
            free[j] = free[i];
            free[i] = x;
            out[at + i] = x;
            taken.set(x);
        }
        return m;
    }
}
