package org.llmri.report;

import java.awt.Color;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.llmri.network.Decoding;
import org.llmri.network.Network;
import org.llmri.network.Overlap;
import org.llmri.network.Repeatability;
import org.llmri.network.RunEvents;
import org.llmri.network.UnitTable;
import org.llmri.report.Canvas.Anchor;

/** The report's figures, each drawn once for both PNG and SVG. */
final class Figures {
    private Figures() {}

    static final double FONT = 11, SMALL = 9.5, TITLE = 12;

    // ---------------------------------------------------------------- activation map

    /** Units per bin column: at most this many columns per tap, each showing the most extreme z of its units. */
    static final int MAX_BINS = 30;

    /**
     * The z map as rows = levels (embedding at the top, then layers, then the final layer norm) and
     * column panels = tap kinds; each tap's units (in index order) are pooled into at most
     * {@link #MAX_BINS} bins showing the z of largest magnitude, so the picture stays small at any model size.
     * Bins holding no unit of the network are drawn faded, so the network stands out from sub-threshold values.
     */
    static Figure activationMap(String name, String task, double[] z, Network network, UnitTable units, double vmax) {
        java.util.BitSet inNetwork = network.positive();
        inNetwork.or(network.negative());
        List<String> kinds = units.kinds();
        List<UnitTable.Level> levels = units.levels();
        double panelW = 62, gap = 5;
        double rowH = Math.max(13, Math.min(26, 320.0 / levels.size()));
        double labelW = 12 + levels.stream().mapToDouble(l -> Canvas.textWidth(levelLabel(l), FONT, false)).max().orElse(40);
        double headerH = 12 + kinds.stream().mapToDouble(k -> Canvas.textWidth(k, SMALL, false)).max().orElse(40);
        double gridW = kinds.size() * panelW + (kinds.size() - 1) * gap, gridH = levels.size() * rowH;
        double x0 = labelW, y0 = headerH;
        double legendX = x0 + gridW + 22;
        int width = (int) Math.ceil(legendX + 70), height = (int) Math.ceil(y0 + Math.max(gridH, 140) + 30);
        return new Figure(name, "z map, task " + task + " > control", width, height, c -> {
            for (int k = 0; k < kinds.size(); k++) {
                double px = x0 + k * (panelW + gap);
                c.text(px + panelW / 2 + 3.5, y0 - 6, kinds.get(k), SMALL, Colors.INK, Anchor.START, false, true);
                for (int l = 0; l < levels.size(); l++) {
                    double py = y0 + l * rowH;
                    List<UnitTable.Tap> taps = units.tapsAt(l, k);
                    if (taps.isEmpty()) {
                        c.fillRect(px, py, panelW, rowH, Colors.EMPTY);
                        continue;
                    }
                    // several taps of one kind at one level (unusual) share the panel side by side
                    double tapW = panelW / taps.size();
                    for (int t = 0; t < taps.size(); t++) {
                        int[] members = taps.get(t).units();
                        int bins = Math.min(MAX_BINS, members.length);
                        double binW = tapW / bins;
                        for (int b = 0; b < bins; b++) {
                            int from = (int) ((long) b * members.length / bins), to = (int) ((long) (b + 1) * members.length / bins);
                            double v = extreme(z, members, from, to);
                            Color col = Colors.diverging(v / vmax);
                            if (!anyIn(inNetwork, members, from, to)) col = blend(col, 0.35);
                            c.fillRect(px + t * tapW + b * binW, py, binW + 0.01, rowH, col);
                        }
                    }
                }
                c.strokeRect(px, y0, panelW, gridH, Colors.AXIS, 0.6);
            }
            for (int l = 0; l < levels.size(); l++) {
                double py = y0 + l * rowH;
                c.text(x0 - 6, py + rowH / 2 + FONT * 0.35, levelLabel(levels.get(l)), FONT, Colors.INK, Anchor.END, false, false);
                if (l > 0) c.line(x0, py, x0 + gridW, py, Color.WHITE, 0.8);
            }
            colorbar(c, legendX, y0, Math.max(gridH, 140), -vmax, vmax, true, "z");
        });
    }

    static String levelLabel(UnitTable.Level l) {
        return l.isLayer() ? "layer " + l.label() : l.label();
    }

    static boolean anyIn(java.util.BitSet set, int[] members, int from, int to) {
        for (int i = from; i < to; i++) if (set.get(members[i])) return true;
        return false;
    }

    /** The value of largest magnitude among members[from..to); NaN if all are NaN. */
    static double extreme(double[] z, int[] members, int from, int to) {
        double best = Double.NaN;
        for (int i = from; i < to; i++) {
            double v = z[members[i]];
            if (!Double.isNaN(v) && (Double.isNaN(best) || Math.abs(v) > Math.abs(best))) best = v;
        }
        return best;
    }

    /** A vertical colour bar from lo (bottom) to hi (top) with five labelled ticks. */
    static void colorbar(Canvas c, double x, double y, double h, double lo, double hi, boolean diverging, String label) {
        double w = 13;
        int steps = 64;
        for (int i = 0; i < steps; i++) {
            double t = 1 - (i + 0.5) / steps; // top is hi
            double v = lo + t * (hi - lo);
            Color col = diverging ? Colors.diverging(v / Math.max(Math.abs(lo), Math.abs(hi))) : Colors.sequential((v - lo) / (hi - lo));
            c.fillRect(x, y + i * h / steps, w, h / steps + 0.01, col);
        }
        c.strokeRect(x, y, w, h, Colors.AXIS, 0.6);
        double step = Ticks.niceStep((hi - lo) / 4);
        for (int i = 0; i <= 4; i++) {
            double v = lo + i * (hi - lo) / 4;
            double ty = y + h - i * h / 4;
            c.line(x + w, ty, x + w + 3, ty, Colors.AXIS, 0.8);
            String text = Ticks.format(v, step / 10);
            if (i == 4 && diverging) text = "\u2265 " + text;
            if (i == 0 && diverging) text = "\u2264 " + text;
            c.text(x + w + 5, ty + SMALL * 0.35, text, SMALL, Colors.INK, Anchor.START, false, false);
        }
        c.text(x + w / 2, y - 6, label, FONT, Colors.INK, Anchor.MIDDLE, true, false);
    }

    // ---------------------------------------------------------------- network sizes

    /** Network size per level: positive units as bars upwards, negative units downwards. */
    static Figure sizesByLevel(String name, String task, List<Network.GroupSize> sizes) {
        int n = sizes.size();
        double barSlot = Math.max(22, Math.min(46, 640.0 / Math.max(1, n)));
        double left = 58, top = 30, plotH = 170;
        double bottom = 16 + sizes.stream().mapToDouble(s -> Canvas.textWidth(s.group(), SMALL, false)).max().orElse(20);
        double plotW = n * barSlot;
        double legendW = 48 + Canvas.textWidth("positive (task > control)", SMALL, false) + Canvas.textWidth("negative (task < control)", SMALL, false);
        int width = (int) Math.ceil(left + Math.max(plotW, legendW) + 20), height = (int) Math.ceil(top + plotH + bottom);
        int maxPos = sizes.stream().mapToInt(Network.GroupSize::positive).max().orElse(0);
        int maxNeg = sizes.stream().mapToInt(Network.GroupSize::negative).max().orElse(0);
        Ticks.Axis axis = Ticks.nice(-Math.max(maxNeg, maxPos == 0 && maxNeg == 0 ? 1 : 0), Math.max(1, maxPos), 4);
        if (maxNeg == 0) axis = Ticks.nice(0, Math.max(1, maxPos), 4);
        Ticks.Axis a = axis;
        return new Figure(name, "network size per level, task " + task, width, height, c -> {
            double y0 = top;
            java.util.function.DoubleUnaryOperator yOf = v -> y0 + plotH * (a.max() - v) / (a.max() - a.min());
            for (double t : a.ticks()) {
                double y = yOf.applyAsDouble(t);
                c.line(left, y, left + plotW, y, Colors.GRID, 0.7);
                c.text(left - 6, y + SMALL * 0.35, a.label(Math.abs(t)), SMALL, Colors.INK, Anchor.END, false, false);
            }
            double zeroY = yOf.applyAsDouble(0);
            for (int i = 0; i < n; i++) {
                Network.GroupSize s = sizes.get(i);
                double x = left + i * barSlot + barSlot * 0.18, w = barSlot * 0.64;
                if (s.positive() > 0) {
                    double y = yOf.applyAsDouble(s.positive());
                    c.fillRect(x, y, w, zeroY - y, Colors.POSITIVE);
                }
                if (s.negative() > 0) {
                    double y = yOf.applyAsDouble(-s.negative());
                    c.fillRect(x, zeroY, w, y - zeroY, Colors.NEGATIVE);
                }
                c.text(left + i * barSlot + barSlot / 2 + 3.5, top + plotH + 8, s.group(), SMALL, Colors.INK, Anchor.END, false, true);
            }
            c.line(left, zeroY, left + plotW, zeroY, Colors.INK, 0.9);
            c.text(14, top + plotH / 2, "units", FONT, Colors.INK, Anchor.MIDDLE, false, true);
            c.fillRect(left, 8, 10, 10, Colors.POSITIVE);
            c.text(left + 14, 17, "positive (task > control)", SMALL, Colors.INK, Anchor.START, false, false);
            double nx = left + 24 + Canvas.textWidth("positive (task > control)", SMALL, false);
            c.fillRect(nx, 8, 10, 10, Colors.NEGATIVE);
            c.text(nx + 14, 17, "negative (task < control)", SMALL, Colors.INK, Anchor.START, false, false);
        });
    }

    // ---------------------------------------------------------------- matrices

    /** The task-by-task Dice matrix of one sign; '*' marks pairs that exceed chance, the diagonal gives sizes. */
    static Figure overlapMatrix(String name, Overlap.Result r, Network.Sign sign, List<Network> networks) {
        List<String> tasks = r.tasks();
        int n = tasks.size();
        double[][] dice = new double[n][n];
        String[][] text = new String[n][n];
        double max = 0;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                if (i == j) {
                    dice[i][j] = Double.NaN;
                    text[i][j] = "n=" + networks.get(i).size(sign);
                    continue;
                }
                Overlap.Pair p = r.find(tasks.get(i), tasks.get(j), sign).orElseThrow();
                dice[i][j] = p.observed().dice();
                text[i][j] = Html.num(p.observed().dice(), 2) + (p.exceedsChance() ? "*" : "");
                if (!Double.isNaN(dice[i][j])) max = Math.max(max, dice[i][j]);
            }
        }
        // the colour scale ends at a round number just above the largest Dice (0.1 when nothing overlaps)
        double top = max <= 0 ? 0.1 : Math.max(0.1, Ticks.niceStep(max / 4) * Math.ceil(max / Ticks.niceStep(max / 4)));
        return matrix(name, sign.label() + " networks: Dice", tasks, tasks, dice, text, 0, top, "Dice", null, null);
    }

    /** A confusion matrix: rows true task, columns predicted; colour = share of the row. */
    static Figure confusion(String name, Decoding.Score s, List<String> tasks) {
        int n = tasks.size();
        boolean none = Arrays.stream(s.confusion()).anyMatch(row -> row[n] > 0);
        List<String> cols = new ArrayList<>(tasks);
        if (none) cols.add("none");
        double[][] share = new double[n][cols.size()];
        String[][] text = new String[n][cols.size()];
        for (int i = 0; i < n; i++) {
            int total = Arrays.stream(s.confusion()[i]).sum();
            for (int j = 0; j < cols.size(); j++) {
                int count = s.confusion()[i][j];
                share[i][j] = total == 0 ? Double.NaN : (double) count / total;
                text[i][j] = Integer.toString(count);
            }
        }
        String title = s.method().label() + ", per " + s.level().label() + ": accuracy " + percent(s.accuracy()) + " (chance "
                + percent(s.chance()) + ", p " + (s.p() < 0.001 ? "< 0.001" : "= " + Html.p(s.p())) + ")";
        return matrix(name, title, tasks, cols, share, text, 0, 1, "share", "true task", "predicted task");
    }

    static String percent(double v) {
        return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%.0f%%", 100 * v);
    }

    private static Figure matrix(String name, String title, List<String> rows, List<String> cols, double[][] values, String[][] text,
            double lo, double hi, String legend, String rowAxis, String colAxis) {
        double cell = Math.max(34, Math.min(58, 420.0 / Math.max(rows.size(), cols.size())));
        double rowLabelW = 10 + rows.stream().mapToDouble(s -> Canvas.textWidth(s, FONT, false)).max().orElse(30);
        double colLabelH = 10 + cols.stream().mapToDouble(s -> Canvas.textWidth(s, FONT, false)).max().orElse(30);
        double axisPad = rowAxis == null ? 0 : 18;
        double x0 = axisPad + rowLabelW, y0 = 26 + colLabelH + (colAxis == null ? 0 : 16);
        double gridW = cols.size() * cell, gridH = rows.size() * cell;
        double legendX = x0 + gridW + 24;
        double titleW = Canvas.textWidth(title, TITLE, true) + 12;
        int width = (int) Math.ceil(Math.max(legendX + 70, titleW)), height = (int) Math.ceil(y0 + Math.max(gridH, 120) + 16);
        return new Figure(name, title, width, height, c -> {
            c.text(4, 16, title, TITLE, Colors.INK, Anchor.START, true, false);
            if (colAxis != null) c.text(x0 + gridW / 2, 26 + 12, colAxis, SMALL, Colors.MUTED, Anchor.MIDDLE, false, false);
            if (rowAxis != null) c.text(12, y0 + gridH / 2, rowAxis, SMALL, Colors.MUTED, Anchor.MIDDLE, false, true);
            for (int j = 0; j < cols.size(); j++) {
                c.text(x0 + j * cell + cell / 2 + 4, y0 - 6, cols.get(j), FONT, Colors.INK, Anchor.START, false, true);
            }
            for (int i = 0; i < rows.size(); i++) {
                c.text(x0 - 6, y0 + i * cell + cell / 2 + FONT * 0.35, rows.get(i), FONT, Colors.INK, Anchor.END, false, false);
                for (int j = 0; j < cols.size(); j++) {
                    double v = values[i][j];
                    Color fill = Double.isNaN(v) ? Colors.EMPTY : Colors.sequential((v - lo) / (hi - lo));
                    c.fillRect(x0 + j * cell, y0 + i * cell, cell, cell, fill);
                    c.text(x0 + j * cell + cell / 2, y0 + i * cell + cell / 2 + SMALL * 0.35, text[i][j], SMALL,
                            Double.isNaN(v) ? Colors.MUTED : Colors.textOn(fill), Anchor.MIDDLE, false, false);
                }
            }
            for (int i = 0; i <= rows.size(); i++) c.line(x0, y0 + i * cell, x0 + gridW, y0 + i * cell, Color.WHITE, 1);
            for (int j = 0; j <= cols.size(); j++) c.line(x0 + j * cell, y0, x0 + j * cell, y0 + gridH, Color.WHITE, 1);
            colorbar(c, legendX, y0, Math.max(gridH, 120), lo, hi, false, legend);
        });
    }

    // ---------------------------------------------------------------- repeatability

    /** Two strip plots (Dice of positive networks, Pearson r of z maps): pairs of runs within vs between tasks. */
    static Figure repeatability(String name, Repeatability.Result r) {
        double panelW = 250, panelH = 220, left = 52, top = 34, gapX = 70;
        int width = (int) (left + 2 * panelW + gapX + 20), height = (int) (top + panelH + 50);
        return new Figure(name, "repeatability: within-task vs between-task pairs of runs", width, height, c -> {
            String[] measures = {Repeatability.DICE, Repeatability.PEARSON};
            String[] titles = {"Dice of positive networks", "Pearson r of z maps"};
            for (int m = 0; m < 2; m++) {
                double px = left + m * (panelW + gapX);
                List<double[]> groups = new ArrayList<>();
                for (boolean within : new boolean[] {true, false}) {
                    int mi = m;
                    groups.add(r.pairs().stream().filter(p -> p.withinTask() == within)
                            .mapToDouble(p -> mi == 0 ? p.dicePositive() : p.pearsonR()).filter(v -> !Double.isNaN(v)).toArray());
                }
                double lo = m == 0 ? 0 : Math.min(0, groups.stream().flatMapToDouble(Arrays::stream).min().orElse(0));
                double hi = m == 0 ? 1 : 1;
                Ticks.Axis a = Ticks.nice(lo, hi, 5);
                java.util.function.DoubleUnaryOperator yOf = v -> top + panelH * (a.max() - v) / (a.max() - a.min());
                for (double t : a.ticks()) {
                    double y = yOf.applyAsDouble(t);
                    c.line(px, y, px + panelW, y, Colors.GRID, 0.7);
                    c.text(px - 6, y + SMALL * 0.35, a.label(t), SMALL, Colors.INK, Anchor.END, false, false);
                }
                c.line(px, top, px, top + panelH, Colors.AXIS, 0.8);
                c.text(px + panelW / 2, top - 18, titles[m], TITLE, Colors.INK, Anchor.MIDDLE, true, false);
                String measure = measures[m];
                Repeatability.Summary s = r.summary().stream().filter(x -> x.measure().equals(measure)).findFirst().orElse(null);
                if (s != null) {
                    c.text(px + panelW / 2, top - 5, "within \u2212 between: p " + (s.p() < 0.001 ? "< 0.001" : "= " + Html.p(s.p())),
                            SMALL, Colors.MUTED, Anchor.MIDDLE, false, false);
                }
                String[] names = {"within task", "between tasks"};
                Color[] colors = {Colors.POSITIVE, Colors.MUTED};
                for (int g = 0; g < 2; g++) {
                    double cx = px + panelW * (g == 0 ? 0.28 : 0.72);
                    double[] v = groups.get(g);
                    for (int i = 0; i < v.length; i++) {
                        double jitter = ((i * 0.6180339887) % 1.0 - 0.5) * 44;
                        c.circle(cx + jitter, yOf.applyAsDouble(v[i]), 3.2, blend(colors[g], 0.75));
                    }
                    if (v.length > 0) {
                        double mean = Arrays.stream(v).average().orElse(Double.NaN);
                        double y = yOf.applyAsDouble(mean);
                        c.line(cx - 30, y, cx + 30, y, Colors.INK, 2);
                    }
                    c.text(cx, top + panelH + 18, names[g] + " (" + v.length + ")", FONT, Colors.INK, Anchor.MIDDLE, false, false);
                }
            }
        });
    }

    /** {@code c} lightened towards white by {@code 1 - alpha}: a flat stand-in for transparency. */
    static Color blend(Color c, double alpha) {
        return new Color((int) Math.round(c.getRed() * alpha + 255 * (1 - alpha)), (int) Math.round(c.getGreen() * alpha + 255 * (1 - alpha)),
                (int) Math.round(c.getBlue() * alpha + 255 * (1 - alpha)));
    }

    // ---------------------------------------------------------------- time courses

    /** One strip per unit over the run's time points, task blocks shaded, each strip on its own scale. */
    static Figure timeCourses(String name, ReportModel.TimeCourse tc) {
        int time = tc.series().stream().mapToInt(s -> s.values().length).max().orElse(1);
        double left = 64, right = 16, plotW = 860, stripH = 64, gapY = 26, top = 20;
        int strips = tc.series().size();
        int width = (int) (left + plotW + right), height = (int) Math.ceil(top + strips * (stripH + gapY) + 34);
        return new Figure(name, "time courses, " + tc.run(), width, height, c -> {
            java.util.function.DoubleUnaryOperator xOf = t -> left + plotW * t / Math.max(1, time);
            String key = "task blocks (unshaded: control)";
            double keyX = left + plotW - Canvas.textWidth(key, SMALL, false) - 14;
            c.fillRect(keyX, 5, 10, 10, Colors.TASK_BLOCK);
            c.strokeRect(keyX, 5, 10, 10, Colors.AXIS, 0.5);
            c.text(keyX + 14, 14, key, SMALL, Colors.INK, Anchor.START, false, false);
            for (int s = 0; s < strips; s++) {
                ReportModel.Series series = tc.series().get(s);
                double y0 = top + s * (stripH + gapY) + 16;
                for (RunEvents.Block b : tc.blocks()) {
                    if (b.isTask()) c.fillRect(xOf.applyAsDouble(b.onset()), y0, xOf.applyAsDouble(b.end()) - xOf.applyAsDouble(b.onset()), stripH, Colors.TASK_BLOCK);
                }
                double[] v = series.values();
                double lo = Arrays.stream(v).filter(Double::isFinite).min().orElse(0), hi = Arrays.stream(v).filter(Double::isFinite).max().orElse(1);
                Ticks.Axis a = Ticks.nice(lo, hi, 2);
                java.util.function.DoubleUnaryOperator yOf = x -> y0 + stripH * (a.max() - x) / (a.max() - a.min());
                for (double t : a.ticks()) {
                    double y = yOf.applyAsDouble(t);
                    c.line(left, y, left + plotW, y, Colors.GRID, 0.6);
                    c.text(left - 5, y + SMALL * 0.35, a.label(t), SMALL, Colors.MUTED, Anchor.END, false, false);
                }
                double[] xs = new double[v.length], ys = new double[v.length];
                for (int t = 0; t < v.length; t++) {
                    xs[t] = xOf.applyAsDouble(t + 0.5);
                    ys[t] = yOf.applyAsDouble(Double.isFinite(v[t]) ? v[t] : a.min());
                }
                c.polyline(xs, ys, Colors.SERIES[s % Colors.SERIES.length], 1.1);
                c.strokeRect(left, y0, plotW, stripH, Colors.AXIS, 0.6);
                c.text(left, y0 - 5, series.label(), FONT, Colors.INK, Anchor.START, true, false);
            }
            double axisY = top + strips * (stripH + gapY) - gapY + 16;
            Ticks.Axis xa = Ticks.nice(0, time, 8);
            for (double t : xa.ticks()) {
                if (t > time) continue;
                double x = xOf.applyAsDouble(t);
                c.line(x, axisY, x, axisY + 3, Colors.AXIS, 0.8);
                c.text(x, axisY + 13, xa.label(t), SMALL, Colors.MUTED, Anchor.MIDDLE, false, false);
            }
            c.text(left + plotW / 2, axisY + 27, "time point (one generated token each)", SMALL, Colors.MUTED, Anchor.MIDDLE, false, false);
        });
    }
}
