package org.llmri.causal;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.llmri.model.Tap;
import org.llmri.probe.Intervention;
import org.llmri.probe.Interventions;

/** A set of units, grouped by the model tap they belong to (indices within the tap, sorted). */
public record UnitSet(Map<Tap, int[]> byTap) {
    public UnitSet {
        Map<Tap, int[]> copy = new LinkedHashMap<>();
        for (var e : byTap.entrySet()) {
            int[] u = e.getValue().clone();
            Arrays.sort(u);
            if (u.length > 0) copy.put(e.getKey(), u);
        }
        byTap = java.util.Collections.unmodifiableMap(copy);
    }

    /** Units given as (tap, index) pairs over a global numbering: tapOf[g], indexOf[g]. */
    public static UnitSet of(int[] globalUnits, Tap[] tapOf, int[] indexOf) {
        Map<Tap, int[]> m = new LinkedHashMap<>();
        Map<Tap, Integer> n = new LinkedHashMap<>();
        for (int g : globalUnits) n.merge(tapOf[g], 1, Integer::sum);
        for (var e : n.entrySet()) m.put(e.getKey(), new int[e.getValue()]);
        Map<Tap, Integer> at = new LinkedHashMap<>();
        for (int g : globalUnits) {
            int i = at.merge(tapOf[g], 1, Integer::sum) - 1;
            m.get(tapOf[g])[i] = indexOf[g];
        }
        return new UnitSet(m);
    }

    public int size() {
        int n = 0;
        for (int[] u : byTap.values()) n += u.length;
        return n;
    }

    /** Ablation: zero (means == null) or each unit replaced by its mean (means.get(tap) over the whole tap). */
    public Interventions ablate(Map<Tap, float[]> means) {
        Interventions iv = new Interventions();
        for (var e : byTap.entrySet()) {
            Intervention change = means == null ? new Intervention.Zero() : new Intervention.Mean(means.get(e.getKey()));
            iv.add(e.getKey(), e.getValue(), change);
        }
        return iv;
    }

    /** Steering: adds alpha * direction.get(tap)[unit] to each unit of the set. */
    public Interventions steer(Map<Tap, float[]> direction, double alpha) {
        Interventions iv = new Interventions();
        for (var e : byTap.entrySet()) {
            float[] d = direction.get(e.getKey());
            float[] v = new float[e.getKey().width()];
            for (int u : e.getValue()) v[u] = (float) (alpha * d[u]);
            iv.add(e.getKey(), e.getValue(), new Intervention.Add(v));
        }
        return iv;
    }

    /** The Euclidean norm of direction over this set's units. */
    public double norm(Map<Tap, float[]> direction) {
        double s = 0;
        for (var e : byTap.entrySet()) for (int u : e.getValue()) s += (double) direction.get(e.getKey())[u] * direction.get(e.getKey())[u];
        return Math.sqrt(s);
    }

    public List<Tap> taps() {
        return List.copyOf(byTap.keySet());
    }
}
