package org.llmri.glm;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.imageio.ImageIO;
import org.llmri.LlmriException;
import org.llmri.io.AtomicFile;
import org.llmri.io.Tsv;

/**
 * A design matrix: one row per time point, one named column per regressor. Built from events it lists the
 * condition columns first (one per trial type, sorted), then nuisance and confound columns, then drift and
 * the {@code constant}; it also keeps each event's own regressor (a "segment"), so that max-T permutation
 * can relabel events and rebuild the condition columns exactly.
 *
 * @param values row-major [rows][cols]
 * @param conditions number of leading condition columns (0 for a design read from a TSV)
 * @param segments one per event row, in file order (empty for a design read from a TSV)
 */
public record DesignMatrix(List<String> names, int rows, double[] values, int conditions, List<Segment> segments) {
    /** One event's regressor: {@code values} over time points {@code [start, start + values.length)}. */
    public record Segment(int condition, int line, int start, double[] values) {
        double at(int t) {
            int i = t - start;
            return i >= 0 && i < values.length ? values[i] : 0;
        }
    }

    /** Nuisance regressors computed from the events. */
    public enum Nuisance {
        TOKEN_POSITION("token_position"), FIRST_TOKEN("first_token");

        public final String column;

        Nuisance(String column) {
            this.column = column;
        }

        public static Nuisance parse(String s) {
            return switch (s.strip().toLowerCase(java.util.Locale.ROOT).replace('_', '-')) {
                case "token-position" -> TOKEN_POSITION;
                case "first-token" -> FIRST_TOKEN;
                default -> throw new LlmriException("--nuisance: unknown regressor '" + s + "' (token-position, first-token)");
            };
        }
    }

    /** How to build a design from events. {@code confounds} (may be null) adds its columns, one row per time point. */
    public record Spec(Hrf hrf, Drift drift, List<Nuisance> nuisance, Tsv.Table confounds, double tr) {
        public Spec {
            nuisance = List.copyOf(nuisance);
            if (!(tr > 0)) throw new LlmriException("--tr must be positive");
        }

        public static Spec defaults() {
            return new Spec(Hrf.NONE, new Drift.None(), List.of(), null, 1);
        }
    }

    public DesignMatrix {
        names = List.copyOf(names);
        segments = List.copyOf(segments);
        if (values.length != (long) rows * names.size()) throw new IllegalArgumentException("design values do not match its shape");
    }

    public int cols() {
        return names.size();
    }

    public double get(int t, int j) {
        return values[t * cols() + j];
    }

    public double[] column(int j) {
        double[] c = new double[rows];
        for (int t = 0; t < rows; t++) c[t] = get(t, j);
        return c;
    }

    /** Builds the design for {@code rows} time points from events. */
    public static DesignMatrix fromEvents(Events events, int rows, Spec spec, Path dataFile) {
        events.checkWithin(rows, spec.tr(), dataFile);
        List<String> conds = events.conditions();
        List<String> names = new ArrayList<>(conds);
        List<double[]> cols = new ArrayList<>();
        for (int c = 0; c < conds.size(); c++) cols.add(new double[rows]);
        List<Segment> segments = new ArrayList<>();
        for (Events.Event e : events.events()) {
            int c = conds.indexOf(e.trialType());
            double[] r = spec.hrf().regressor(e.onset(), e.duration(), rows, spec.tr());
            int first = 0, last = rows - 1;
            while (first < rows && r[first] == 0) first++;
            while (last >= first && r[last] == 0) last--;
            double[] vals = first > last ? new double[0] : java.util.Arrays.copyOfRange(r, first, last + 1);
            segments.add(new Segment(c, e.line(), first > last ? 0 : first, vals));
            for (int t = 0; t < rows; t++) cols.get(c)[t] += r[t];
        }
        for (Nuisance n : spec.nuisance()) {
            names.add(n.column);
            cols.add(nuisance(n, events, rows, spec.tr()));
        }
        if (spec.confounds() != null) {
            Tsv.Table t = spec.confounds();
            if (t.rows().size() != rows) {
                throw new LlmriException(t.file() + ": " + t.rows().size() + " rows, but the data have " + rows + " time points");
            }
            for (String h : t.header()) {
                double[] v = t.numbers(h);
                for (int i = 0; i < v.length; i++) {
                    if (!Double.isFinite(v[i])) {
                        throw new LlmriException(t.file() + ":" + (i + 2) + ": column '" + h + "' is n/a; fill it (e.g. with 0) first");
                    }
                }
                names.add(h);
                cols.add(v);
            }
        }
        names.addAll(spec.drift().names(rows, spec.tr()));
        for (double[] d : spec.drift().columns(rows, spec.tr())) cols.add(d);
        checkNames(names, events.file());
        double[] values = new double[rows * names.size()];
        for (int j = 0; j < cols.size(); j++)
            for (int t = 0; t < rows; t++) values[t * names.size() + j] = cols.get(j)[t];
        return new DesignMatrix(names, rows, values, conds.size(), segments);
    }

    private static double[] nuisance(Nuisance n, Events events, int rows, double tr) {
        double[] out = new double[rows];
        for (int t = 0; t < rows; t++) {
            double ft = t * tr;
            Events.Event cover = null;
            for (Events.Event e : events.events()) {
                if (ft >= e.onset() && ft < e.end() && (cover == null || e.onset() >= cover.onset())) cover = e;
            }
            if (cover == null) continue;
            out[t] = switch (n) {
                case TOKEN_POSITION -> Math.floor((ft - cover.onset()) / tr + 1e-9);
                case FIRST_TOKEN -> ft - tr < cover.onset() ? 1 : 0;
            };
        }
        return out;
    }

    private static void checkNames(List<String> names, Path file) {
        Set<String> seen = new HashSet<>();
        for (String n : names) {
            if (!seen.add(n)) throw new LlmriException(file + ": design column '" + n + "' appears twice (rename the trial type or confound)");
        }
    }

    /** Reads a design.tsv: a header of column names, one numeric row per time point. */
    public static DesignMatrix readTsv(Path file) {
        Tsv.Table t = Tsv.read(file);
        int rows = t.rows().size();
        if (rows == 0) throw new LlmriException(file + ": no rows");
        List<String> names = t.header();
        checkNames(names, file);
        double[] values = new double[rows * names.size()];
        for (int j = 0; j < names.size(); j++) {
            double[] c = t.numbers(names.get(j));
            for (int r = 0; r < rows; r++) {
                if (!Double.isFinite(c[r])) throw new LlmriException(file + ":" + (r + 2) + ": column '" + names.get(j) + "' is not a finite number");
                values[r * names.size() + j] = c[r];
            }
        }
        return new DesignMatrix(names, rows, values, 0, List.of());
    }

    public void writeTsv(Path file) {
        List<List<Double>> rowsOut = new ArrayList<>(rows);
        for (int t = 0; t < rows; t++) {
            List<Double> r = new ArrayList<>(cols());
            for (int j = 0; j < cols(); j++) r.add(get(t, j));
            rowsOut.add(r);
        }
        Tsv.write(file, names, rowsOut);
    }

    /** Draws the matrix as a grey-scale image (each column scaled by its largest absolute value), names on top. */
    public void writePng(Path file) {
        if (System.getProperty("java.awt.headless") == null) System.setProperty("java.awt.headless", "true");
        int p = cols();
        int colW = Math.max(14, Math.min(48, 720 / Math.max(1, p)));
        int height = Math.max(240, Math.min(720, rows));
        int maxLabel = 0;
        for (String n : names) maxLabel = Math.max(maxLabel, Math.min(n.length(), 28));
        int top = 14 + 7 * maxLabel, left = 48, bottom = 16, right = 12;
        BufferedImage img = new BufferedImage(left + colW * p + right, top + height + bottom, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        for (int j = 0; j < p; j++) {
            double max = 0, min = 0;
            for (int t = 0; t < rows; t++) {
                max = Math.max(max, Math.abs(get(t, j)));
                min = Math.min(min, get(t, j));
            }
            for (int y = 0; y < height; y++) {
                int t = (int) ((long) y * rows / height);
                double v = max == 0 ? 0 : get(t, j) / max;
                // non-negative columns: 0 black, max white; signed columns: -max black, 0 grey, max white
                int grey = (int) Math.round(min >= 0 ? 255 * v : 255 * (v + 1) / 2);
                grey = Math.max(0, Math.min(255, grey));
                g.setColor(new Color(grey, grey, grey));
                g.fillRect(left + j * colW, top + y, colW, 1);
            }
        }
        g.setColor(Color.DARK_GRAY);
        g.drawRect(left, top, colW * p, height);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        AffineTransform base = g.getTransform();
        for (int j = 0; j < p; j++) {
            String n = names.get(j).length() > 28 ? names.get(j).substring(0, 27) + "…" : names.get(j);
            g.setTransform(base);
            g.translate(left + j * colW + colW / 2 + 4, top - 4);
            g.rotate(-Math.PI / 2);
            g.drawString(n, 0, 0);
        }
        g.setTransform(base);
        g.drawString("0", left - 14, top + 10);
        g.drawString(Integer.toString(rows), 4, top + height);
        g.dispose();
        AtomicFile.write(file, out -> {
            if (!ImageIO.write(img, "png", out)) throw new IOException("no PNG writer");
        });
    }
}
