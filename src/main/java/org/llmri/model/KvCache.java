package org.llmri.model;

/** Keys and values of past positions, per slot and layer ([position * hidden + unit]), grown on demand. */
public final class KvCache {
    private final int layers;
    private final int width;
    private final float[][][] keys;
    private final float[][][] values;

    public KvCache(int slots, int layers, int width) {
        this.layers = layers;
        this.width = width;
        this.keys = new float[slots][layers][];
        this.values = new float[slots][layers][];
    }

    public int slots() {
        return keys.length;
    }

    /** Makes room for positions [0, length) in a slot, keeping what is there. */
    public void ensure(int slot, int length) {
        long need = (long) length * width;
        if (need > Integer.MAX_VALUE - 8) throw new org.llmri.LlmriException("sequence too long for the KV cache: " + length);
        for (int l = 0; l < layers; l++) {
            float[] k = keys[slot][l];
            if (k == null || k.length < need) {
                int cap = (int) Math.min(Integer.MAX_VALUE - 8, Math.max(need, k == null ? need : 2L * k.length));
                keys[slot][l] = k == null ? new float[cap] : java.util.Arrays.copyOf(k, cap);
                float[] v = values[slot][l];
                values[slot][l] = v == null ? new float[cap] : java.util.Arrays.copyOf(v, cap);
            }
        }
    }

    float[] keys(int slot, int layer) {
        return keys[slot][layer];
    }

    float[] values(int slot, int layer) {
        return values[slot][layer];
    }
}
