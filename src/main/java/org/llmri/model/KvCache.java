package org.llmri.model;

/**
 * Keys and values of past positions, per slot and layer, grown on demand. Each slot/layer array is laid
 * out head by head ([head][position][headDim]) so that one head's attention reads one contiguous run,
 * which the hardware prefetcher streams, instead of a 256-byte piece of every position's row.
 */
public final class KvCache {
    private final int layers;
    private final int width;
    private final int headDim;
    private final float[][][] keys;
    private final float[][][] values;
    private final int[] capacity;

    public KvCache(int slots, int layers, int width, int heads) {
        if (heads < 1 || width % heads != 0) throw new IllegalArgumentException("width " + width + " is not a multiple of heads " + heads);
        this.layers = layers;
        this.width = width;
        this.headDim = width / heads;
        this.keys = new float[slots][layers][];
        this.values = new float[slots][layers][];
        this.capacity = new int[slots];
    }

    public int slots() {
        return keys.length;
    }

    /** Makes room for positions [0, length) in a slot, keeping what is there. */
    public void ensure(int slot, int length) {
        int old = capacity[slot];
        if (length <= old) return;
        long limit = (Integer.MAX_VALUE - 8) / width;
        if (length > limit) throw new org.llmri.LlmriException("sequence too long for the KV cache: " + length);
        int cap = (int) Math.min(limit, Math.max(length, 2L * old));
        for (int l = 0; l < layers; l++) {
            keys[slot][l] = regrow(keys[slot][l], old, cap);
            values[slot][l] = regrow(values[slot][l], old, cap);
        }
        capacity[slot] = cap;
    }

    private float[] regrow(float[] from, int oldCap, int cap) {
        float[] to = new float[cap * width];
        if (from != null) {
            int heads = width / headDim;
            for (int h = 0; h < heads; h++) {
                System.arraycopy(from, h * oldCap * headDim, to, h * cap * headDim, oldCap * headDim);
            }
        }
        return to;
    }

    /** Stores one position's key and value rows (width values each, starting at k[at] and v[at]). */
    public void put(int slot, int layer, int position, float[] k, float[] v, int at) {
        float[] ks = keys[slot][layer], vs = values[slot][layer];
        int cap = capacity[slot];
        for (int h = 0, src = at, dst = position * headDim; h < width / headDim; h++, src += headDim, dst += cap * headDim) {
            System.arraycopy(k, src, ks, dst, headDim);
            System.arraycopy(v, src, vs, dst, headDim);
        }
    }

    /** Where a head's position 0 starts in {@link #keys} and {@link #values}; position j follows at + j * headDim. */
    public int headStart(int slot, int head) {
        return head * capacity[slot] * headDim;
    }

    public float[] keys(int slot, int layer) {
        return keys[slot][layer];
    }

    public float[] values(int slot, int layer) {
        return values[slot][layer];
    }
}
