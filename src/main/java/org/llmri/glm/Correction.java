package org.llmri.glm;

import org.llmri.LlmriException;

/** How a map is thresholded over units; {@link #label()} is the BIDS {@code desc-} value in file names. */
public enum Correction {
    /** Family-wise error by max-T permutation over events. */
    FWE("fwe"),
    /** Benjamini–Hochberg false discovery rate (q values). */
    FDR("fdr"),
    BONFERRONI("bonferroni"),
    /** p ≤ alpha with no correction. */
    NONE("uncorrected");

    private final String label;

    Correction(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    public static Correction parse(String s) {
        return switch (s.strip().toLowerCase(java.util.Locale.ROOT)) {
            case "fwe", "maxt", "max-t" -> FWE;
            case "fdr", "bh" -> FDR;
            case "bonferroni" -> BONFERRONI;
            case "none", "uncorrected" -> NONE;
            default -> throw new LlmriException("--correction: expected fwe, fdr, bonferroni or none, got '" + s + "'");
        };
    }
}
