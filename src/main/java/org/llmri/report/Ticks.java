package org.llmri.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Round axis ticks: steps of 1, 2 or 5 times a power of ten. */
final class Ticks {
    private Ticks() {}

    record Axis(double min, double max, List<Double> ticks, double step) {
        String label(double v) {
            return format(v, step);
        }
    }

    /** An axis covering [lo, hi] with about {@code target} ticks, extended to round ends. */
    static Axis nice(double lo, double hi, int target) {
        if (!Double.isFinite(lo) || !Double.isFinite(hi)) {
            lo = 0;
            hi = 1;
        }
        if (hi < lo) {
            double t = lo;
            lo = hi;
            hi = t;
        }
        if (hi == lo) {
            double pad = lo == 0 ? 1 : Math.abs(lo) * 0.1;
            lo -= pad;
            hi += pad;
        }
        double step = niceStep((hi - lo) / Math.max(1, target));
        double min = Math.floor(lo / step) * step, max = Math.ceil(hi / step) * step;
        List<Double> ticks = new ArrayList<>();
        for (long k = Math.round(min / step); k <= Math.round(max / step); k++) ticks.add(k * step);
        return new Axis(min, max, ticks, step);
    }

    static double niceStep(double raw) {
        double mag = Math.pow(10, Math.floor(Math.log10(raw)));
        double f = raw / mag;
        double m = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
        return m * mag;
    }

    static String format(double v, double step) {
        if (Math.abs(v) < step * 1e-9) v = 0;
        int decimals = (int) Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
        double a = Math.abs(v);
        if (a != 0 && (a >= 1e6 || a < 1e-4)) return String.format(Locale.ROOT, "%.1e", v);
        return String.format(Locale.ROOT, "%." + decimals + "f", v);
    }
}
