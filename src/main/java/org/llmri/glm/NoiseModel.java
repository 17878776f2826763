package org.llmri.glm;

import org.llmri.LlmriException;

/** The temporal noise model of a fit. */
public sealed interface NoiseModel {
    /** Ordinary least squares: independent errors. */
    record Ols() implements NoiseModel {}

    /**
     * AR(1) prewhitening as nilearn's {@code run_glm}: the Yule–Walker lag-1 coefficient of each unit's OLS
     * residuals, truncated toward zero to a multiple of 1/{@code bins}, then one whitened refit per value.
     */
    record Ar1(int bins) implements NoiseModel {}

    static NoiseModel parse(String s) {
        return switch (s.strip().toLowerCase(java.util.Locale.ROOT)) {
            case "ols" -> new Ols();
            case "ar1" -> new Ar1(100);
            default -> throw new LlmriException("--noise: expected ols or ar1, got '" + s + "'");
        };
    }

    default String label() {
        return this instanceof Ols ? "ols" : "ar1";
    }
}
