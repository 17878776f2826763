package org.llmri.glm;

import java.util.List;

/**
 * One run's fit: per unit the AR(1) coefficient used (its bin value; 0 for OLS), whether the unit is
 * constant over time (its maps are 0, p 0.5), and one {@link ContrastMaps} per contrast.
 */
public record FitResult(DesignMatrix design, NoiseModel noise, int units, double dof, int rank, double[] rho,
                        boolean[] constant, List<ContrastMaps> contrasts) {
    public FitResult {
        contrasts = new java.util.ArrayList<>(contrasts);
    }

    public ContrastMaps contrast(String label) {
        for (ContrastMaps m : contrasts) if (m.label().equals(label)) return m;
        throw new IllegalArgumentException("no contrast " + label);
    }
}
