package org.llmri.glm;

import org.hipparchus.linear.Array2DRowRealMatrix;
import org.hipparchus.linear.EigenDecompositionSymmetric;
import org.hipparchus.linear.SingularValueDecomposition;

/** Small dense linear algebra for design matrices (a few thousand rows, a few dozen columns). */
final class Linalg {
    private Linalg() {}

    /**
     * The Moore–Penrose pseudo-inverse of a design X, from its SVD. Singular values at or below
     * max(rows, cols) · eps · σ_max count as zero (numpy's matrix_rank tolerance), so a rank-deficient
     * design (conditions covering every time point plus an intercept) is fitted as nilearn's pinv does.
     *
     * @param pinv      [cols][rows]
     * @param gramPinv  (X'X)^+ = pinv · pinv', [cols][cols]
     * @param rowBasis  orthonormal basis of X's row space, [rank][cols]: a contrast is estimable iff it lies in it
     * @param condition σ_max / σ_min over the kept singular values
     */
    record Pinv(double[][] pinv, double[][] gramPinv, int rank, double[][] rowBasis, double condition) {}

    static Pinv pinv(double[] x, int rows, int cols) {
        double[][] a = new double[rows][cols];
        for (int t = 0; t < rows; t++) System.arraycopy(x, t * cols, a[t], 0, cols);
        SingularValueDecomposition svd = new SingularValueDecomposition(new Array2DRowRealMatrix(a, false));
        double[] s = svd.getSingularValues();
        double[][] u = svd.getU().getData();  // rows x k
        double[][] v = svd.getV().getData();  // cols x k
        int k = s.length;
        double smax = 0;
        for (double si : s) smax = Math.max(smax, si);
        double tol = Math.max(rows, cols) * Math.ulp(1.0) * smax;
        int rank = 0;
        double smin = Double.POSITIVE_INFINITY;
        for (double si : s) {
            if (si > tol) {
                rank++;
                smin = Math.min(smin, si);
            }
        }
        double[][] p = new double[cols][rows];
        double[][] g = new double[cols][cols];
        double[][] basis = new double[rank][];
        int b = 0;
        for (int i = 0; i < k; i++) {
            if (!(s[i] > tol)) continue;
            double inv = 1 / s[i];
            for (int j = 0; j < cols; j++) {
                double vj = v[j][i] * inv;
                if (vj == 0) continue;
                double[] pj = p[j];
                for (int t = 0; t < rows; t++) pj[t] += vj * u[t][i];
                for (int l = 0; l < cols; l++) g[j][l] += vj * v[l][i] * inv;
            }
            double[] bi = new double[cols];
            for (int j = 0; j < cols; j++) bi[j] = v[j][i];
            basis[b++] = bi;
        }
        return new Pinv(p, g, rank, basis, rank == 0 ? Double.POSITIVE_INFINITY : smax / smin);
    }

    /** Distance of c from the row space, relative to |c|. */
    static double nonEstimability(double[] c, double[][] rowBasis) {
        double[] r = c.clone();
        for (double[] v : rowBasis) {
            double d = dot(v, c);
            for (int j = 0; j < r.length; j++) r[j] -= d * v[j];
        }
        double nc = Math.sqrt(dot(c, c));
        return nc == 0 ? 0 : Math.sqrt(dot(r, r)) / nc;
    }

    /**
     * Pseudo-inverse of a symmetric positive semi-definite matrix (a Gram matrix) by its eigenvalues;
     * eigenvalues at or below {@code relTol} · λ_max count as zero. Returns the rank in {@code rankOut[0]}.
     */
    static double[][] pinvSymmetric(double[][] g, double relTol, int[] rankOut) {
        int n = g.length;
        if (n == 1) {
            double v = g[0][0];
            if (rankOut != null) rankOut[0] = v > 0 ? 1 : 0;
            return new double[][] {{v > 0 ? 1 / v : 0}};
        }
        EigenDecompositionSymmetric e = new EigenDecompositionSymmetric(new Array2DRowRealMatrix(g, true));
        double[] lam = e.getEigenvalues();
        double lmax = 0;
        for (double l : lam) lmax = Math.max(lmax, Math.abs(l));
        double[][] out = new double[n][n];
        int rank = 0;
        for (int i = 0; i < n; i++) {
            if (!(lam[i] > relTol * lmax)) continue;
            rank++;
            double[] vi = e.getEigenvector(i).toArray();
            double inv = 1 / lam[i];
            for (int a = 0; a < n; a++) {
                double va = vi[a] * inv;
                for (int b = 0; b < n; b++) out[a][b] += va * vi[b];
            }
        }
        if (rankOut != null) rankOut[0] = rank;
        return out;
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    /** c' M c */
    static double quad(double[] c, double[][] m) {
        double s = 0;
        for (int i = 0; i < c.length; i++) {
            if (c[i] == 0) continue;
            double r = 0;
            for (int j = 0; j < c.length; j++) r += m[i][j] * c[j];
            s += c[i] * r;
        }
        return s;
    }

    /** C M C' for C [q][p], M [p][p]. */
    static double[][] sandwich(double[][] c, double[][] m) {
        int q = c.length, p = m.length;
        double[][] cm = new double[q][p];
        for (int i = 0; i < q; i++)
            for (int k = 0; k < p; k++) {
                if (c[i][k] == 0) continue;
                for (int j = 0; j < p; j++) cm[i][j] += c[i][k] * m[k][j];
            }
        double[][] out = new double[q][q];
        for (int i = 0; i < q; i++)
            for (int j = 0; j < q; j++) out[i][j] = dot(cm[i], c[j]);
        return out;
    }
}
