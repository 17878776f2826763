package org.llmri.paradigm;

import java.nio.charset.StandardCharsets;

/**
 * A tiny, fully specified random generator (SplitMix64), so that plans are identical on every JDK:
 * {@code java.util.Random}'s and {@code SplittableRandom}'s derived methods are not promised to stay the same.
 */
final class SplitMix64 {
    private long state;

    SplitMix64(long seed) {
        this.state = seed;
    }

    long nextLong() {
        state += 0x9E3779B97F4A7C15L;
        return mix(state);
    }

    /** Uniform in [0, bound), without modulo bias. */
    int nextInt(int bound) {
        if (bound <= 0) throw new IllegalArgumentException("bound must be positive: " + bound);
        while (true) {
            int bits = (int) (nextLong() >>> 33);
            int value = bits % bound;
            if (bits - value + (bound - 1) >= 0) return value;
        }
    }

    /** Fisher-Yates shuffle of {@code order} in place. */
    void shuffle(int[] order) {
        for (int i = order.length - 1; i > 0; i--) {
            int j = nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
    }

    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /**
     * A seed for one purpose, derived from the study seed and labels (FNV-1a over the labels' UTF-8, then mixed),
     * so that e.g. each task's shuffle is independent of the others and of the task order.
     */
    static long derive(long seed, Object... labels) {
        long h = 0xCBF29CE484222325L;
        for (Object label : labels) {
            for (byte b : String.valueOf(label).getBytes(StandardCharsets.UTF_8)) {
                h = (h ^ (b & 0xFF)) * 0x100000001B3L;
            }
            h = (h ^ 0x1F) * 0x100000001B3L; // separator, so ("ab","c") differs from ("a","bc")
        }
        return mix(mix(seed) ^ h);
    }
}
