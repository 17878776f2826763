package org.llmri.glm;

import org.hipparchus.special.Beta;
import org.hipparchus.special.Erf;

/**
 * Tail probabilities of the t, F and normal distributions computed as logarithms, so that far tails
 * (z up to ±37 and beyond) keep full relative accuracy instead of rounding to p = 0 or 1. z scores are
 * obtained from the log tail probability, as nilearn's {@code z = norm.isf(p)} but without its underflow.
 */
public final class Distributions {
    private Distributions() {}

    private static final double LOG_HALF = Math.log(0.5);
    private static final double LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);
    /** Degrees of freedom beyond which t is treated as normal (nilearn caps dof at 1e10). */
    static final double DOF_NORMAL = 1e7;

    /** log P(T > t) for Student's t with {@code dof} degrees of freedom. */
    public static double logSfT(double t, double dof) {
        if (Double.isNaN(t) || !(dof > 0)) return Double.NaN;
        if (dof > DOF_NORMAL) return logSfNormal(t);
        if (t == 0) return LOG_HALF;
        double t2 = t * t;
        double x = dof / (dof + t2), y = t2 / (dof + t2);
        if (Double.isInfinite(t)) {
            x = 0;
            y = 1;
        }
        double logTail = LOG_HALF + logBetaInc(dof / 2, 0.5, x, y); // log P(T > |t|)
        return t > 0 ? logTail : Math.log1p(-Math.exp(logTail));
    }

    /** log P(F > f) for the F distribution with (d1, d2) degrees of freedom. */
    public static double logSfF(double f, double d1, double d2) {
        if (Double.isNaN(f) || !(d1 > 0) || !(d2 > 0)) return Double.NaN;
        if (f <= 0) return 0;
        double x = d2 / (d2 + d1 * f), y = d1 * f / (d2 + d1 * f);
        if (Double.isInfinite(f)) return Double.NEGATIVE_INFINITY;
        return logBetaInc(d2 / 2, d1 / 2, x, y);
    }

    /** log P(Z > z) for the standard normal. */
    public static double logSfNormal(double z) {
        if (Double.isNaN(z)) return Double.NaN;
        if (z < 0) return Math.log1p(-Math.exp(logSfNormal(-z)));
        if (z < 3) return Math.log(0.5 * Erf.erfc(z / Math.sqrt(2)));
        // Mills ratio Q(z)/phi(z) by Laplace's continued fraction 1/(z+ 1/(z+ 2/(z+ 3/(z+ ...)))), Lentz's method.
        double tiny = 1e-300;
        double f = z, c = z, d = 0;
        for (int k = 1; k < 500; k++) {
            d = z + k * d;
            if (Math.abs(d) < tiny) d = tiny;
            c = z + k / c;
            if (Math.abs(c) < tiny) c = tiny;
            d = 1 / d;
            double delta = c * d;
            f *= delta;
            if (Math.abs(delta - 1) < 1e-16) break;
        }
        return -0.5 * z * z - LOG_SQRT_2PI - Math.log(f);
    }

    private static double logPdfNormal(double z) {
        return -0.5 * z * z - LOG_SQRT_2PI;
    }

    /** The z with log P(Z > z) = {@code logP}: the standard normal's inverse survival function in log space. */
    public static double zFromLogSf(double logP) {
        if (Double.isNaN(logP) || logP > 0) return Double.NaN;
        if (logP == 0) return Double.NEGATIVE_INFINITY;
        if (logP == Double.NEGATIVE_INFINITY) return Double.POSITIVE_INFINITY;
        if (logP > LOG_HALF) {
            // upper tail above one half: z is negative; use the complementary probability
            double logQ = Math.log(-Math.expm1(logP));
            return -zFromLogSf(logQ);
        }
        double z;
        if (logP > -10) {
            z = -Math.sqrt(2) * Erf.erfInv(2 * Math.exp(logP) - 1);
        } else { // asymptotic start: log Q(z) ≈ -z²/2 - log(z √(2π))
            double l = -2 * logP;
            z = Math.sqrt(l - Math.log(l) - Math.log(2 * Math.PI));
        }
        // Newton steps on log Q(z) = logP (the derivative of log Q is -phi/Q)
        for (int i = 0; i < 8; i++) {
            double lq = logSfNormal(z);
            double step = (lq - logP) * Math.exp(lq - logPdfNormal(z));
            z += step;
            if (Math.abs(step) <= 1e-15 * Math.max(1, Math.abs(z))) break;
        }
        return z;
    }

    /** z score of a t statistic: the normal quantile with the same tail probability, computed in log space. */
    public static double zFromT(double t, double dof) {
        if (Double.isNaN(t)) return Double.NaN;
        if (t == 0) return 0;
        double lp = logSfT(Math.abs(t), dof);
        double z = zFromLogSf(lp);
        return t > 0 ? z : -z;
    }

    /** One-sided p = P(T > t), never rounded to 0 (at least {@link Double#MIN_VALUE}). */
    public static double pFromT(double t, double dof) {
        return clampP(Math.exp(logSfT(t, dof)));
    }

    static double clampP(double p) {
        if (Double.isNaN(p)) return p;
        return Math.max(Double.MIN_VALUE, Math.min(1, p));
    }

    /**
     * log of the regularized incomplete beta function I_x(a, b), with y = 1 - x passed separately so
     * that neither is formed by cancellation. Continued fraction (Lentz) on whichever side converges.
     */
    static double logBetaInc(double a, double b, double x, double y) {
        if (x <= 0) return Double.NEGATIVE_INFINITY;
        if (y <= 0) return 0;
        double logFront = a * Math.log(x) + b * Math.log(y) - Beta.logBeta(a, b);
        if (x < (a + 1) / (a + b + 2)) {
            return logFront + Math.log(betaContinuedFraction(a, b, x)) - Math.log(a);
        }
        return Math.log1p(-Math.exp(logFront + Math.log(betaContinuedFraction(b, a, y)) - Math.log(b)));
    }

    private static double betaContinuedFraction(double a, double b, double x) {
        final double tiny = 1e-300;
        double qab = a + b, qap = a + 1, qam = a - 1;
        double c = 1, d = 1 - qab * x / qap;
        if (Math.abs(d) < tiny) d = tiny;
        d = 1 / d;
        double h = d;
        int maxIter = 10_000 + (int) Math.min(1e6, 10 * Math.sqrt(Math.max(a, b)));
        for (int m = 1; m <= maxIter; m++) {
            int m2 = 2 * m;
            double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
            d = 1 + aa * d;
            if (Math.abs(d) < tiny) d = tiny;
            c = 1 + aa / c;
            if (Math.abs(c) < tiny) c = tiny;
            d = 1 / d;
            h *= d * c;
            aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
            d = 1 + aa * d;
            if (Math.abs(d) < tiny) d = tiny;
            c = 1 + aa / c;
            if (Math.abs(c) < tiny) c = tiny;
            d = 1 / d;
            double del = d * c;
            h *= del;
            if (Math.abs(del - 1) < 1e-16) break;
        }
        return h;
    }
}
