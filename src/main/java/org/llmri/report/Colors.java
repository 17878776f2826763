package org.llmri.report;

import java.awt.Color;

/** Colour scales and the palette of the report. */
final class Colors {
    private Colors() {}

    static final Color INK = new Color(0x22, 0x22, 0x22);
    static final Color MUTED = new Color(0x66, 0x66, 0x66);
    static final Color GRID = new Color(0xe3, 0xe3, 0xe3);
    static final Color AXIS = new Color(0x99, 0x99, 0x99);
    static final Color EMPTY = new Color(0xf0, 0xf0, 0xf0);
    static final Color POSITIVE = new Color(0xc0, 0x39, 0x2b);
    static final Color NEGATIVE = new Color(0x2c, 0x6f, 0xb0);
    static final Color TASK_BLOCK = new Color(0xfd, 0xeb, 0xd0);
    static final Color ACCENT = new Color(0x1f, 0x4e, 0x79);
    /** Distinct line colours for series (colour-blind friendly order). */
    static final Color[] SERIES = {new Color(0x00, 0x72, 0xb2), new Color(0xd5, 0x5e, 0x00), new Color(0x00, 0x9e, 0x73),
            new Color(0xcc, 0x79, 0xa7), new Color(0x56, 0xb4, 0xe9), new Color(0xe6, 0x9f, 0x00)};

    // blue - white - red, light in the middle so that zero reads as "nothing"
    private static final int[] DIVERGING = {0x053061, 0x2166ac, 0x4393c3, 0x92c5de, 0xd1e5f0, 0xf7f7f7, 0xfddbc7, 0xf4a582,
            0xd6604d, 0xb2182b, 0x67001f};
    // white to deep blue for magnitudes (overlap, counts)
    private static final int[] SEQUENTIAL = {0xf7fbff, 0xdeebf7, 0xc6dbef, 0x9ecae1, 0x6baed6, 0x4292c6, 0x2171b5, 0x08519c,
            0x08306b};

    /** t in [-1, 1] (clamped) onto the diverging scale. */
    static Color diverging(double t) {
        if (Double.isNaN(t)) return EMPTY;
        return ramp(DIVERGING, (Math.max(-1, Math.min(1, t)) + 1) / 2);
    }

    /** t in [0, 1] (clamped) onto the sequential scale. */
    static Color sequential(double t) {
        if (Double.isNaN(t)) return EMPTY;
        return ramp(SEQUENTIAL, Math.max(0, Math.min(1, t)));
    }

    /** Black or white, whichever reads better on {@code c}. */
    static Color textOn(Color c) {
        double lum = 0.299 * c.getRed() + 0.587 * c.getGreen() + 0.114 * c.getBlue();
        return lum < 140 ? Color.WHITE : INK;
    }

    private static Color ramp(int[] stops, double t) {
        double pos = t * (stops.length - 1);
        int i = (int) Math.min(stops.length - 2, Math.floor(pos));
        double f = pos - i;
        int a = stops[i], b = stops[i + 1];
        return new Color(mix(a >> 16, b >> 16, f), mix(a >> 8, b >> 8, f), mix(a, b, f));
    }

    private static int mix(int a, int b, double f) {
        return (int) Math.round((a & 0xff) * (1 - f) + (b & 0xff) * f);
    }
}
