package org.llmri.io;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.llmri.LlmriException;

/** Tab-separated tables with a header row, as BIDS and nilearn write them. */
public final class Tsv {
    private Tsv() {}

    /** A table read from or written to a TSV file. */
    public record Table(Path file, List<String> header, List<List<String>> rows) {
        public int columnIndex(String name) {
            int i = header.indexOf(name);
            if (i < 0) throw new LlmriException(file + ": no column '" + name + "' (columns: " + String.join(", ", header) + ")");
            return i;
        }

        public boolean hasColumn(String name) {
            return header.contains(name);
        }

        public List<String> column(String name) {
            int i = columnIndex(name);
            List<String> out = new ArrayList<>(rows.size());
            for (List<String> r : rows) out.add(r.get(i));
            return out;
        }

        /** A numeric column; a cell that is not a number is an error naming file, line and column. */
        public double[] numbers(String name) {
            int i = columnIndex(name);
            double[] out = new double[rows.size()];
            for (int r = 0; r < rows.size(); r++) {
                String cell = rows.get(r).get(i).strip();
                try {
                    out[r] = cell.equalsIgnoreCase("n/a") ? Double.NaN : Double.parseDouble(cell);
                } catch (NumberFormatException e) {
                    throw new LlmriException(file + ":" + (r + 2) + ": column '" + name + "' is not a number: '" + cell + "'");
                }
            }
            return out;
        }
    }

    public static Table read(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new LlmriException(file + ": no such file");
        } catch (IOException e) {
            throw new LlmriException(file + ": cannot read (" + AtomicFile.describe(e) + ")", e);
        }
        if (lines.isEmpty() || lines.get(0).isBlank()) throw new LlmriException(file + ": empty TSV (a header row is needed)");
        List<String> header = List.of(lines.get(0).split("\t", -1));
        List<List<String>> rows = new ArrayList<>();
        for (int i = 1; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank()) continue;
            List<String> cells = List.of(line.split("\t", -1));
            if (cells.size() != header.size()) {
                throw new LlmriException(file + ":" + (i + 1) + ": " + cells.size() + " cells, header has " + header.size());
            }
            rows.add(cells);
        }
        return new Table(file, header, List.copyOf(rows));
    }

    public static void write(Path file, List<String> header, List<? extends List<?>> rows) {
        AtomicFile.writeString(file, text(file, header, rows));
    }

    /** As {@link #write}, but leaves the file untouched when it already holds exactly this table. */
    public static void writeIfChanged(Path file, List<String> header, List<? extends List<?>> rows) {
        AtomicFile.writeStringIfChanged(file, text(file, header, rows));
    }

    private static String text(Path file, List<String> header, List<? extends List<?>> rows) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.join("\t", header)).append('\n');
        for (List<?> r : rows) {
            if (r.size() != header.size()) throw new IllegalArgumentException(file + ": row " + r + " does not match header " + header);
            for (int i = 0; i < r.size(); i++) {
                if (i > 0) sb.append('\t');
                sb.append(cell(r.get(i)));
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    /** Cell text: tabs and newlines inside a value would break the table, so they become spaces. */
    static String cell(Object v) {
        if (v == null) return "n/a";
        String s = v instanceof Double d ? formatNumber(d) : v instanceof Float f ? formatNumber(f) : v.toString();
        return s.replace('\t', ' ').replace('\n', ' ').replace('\r', ' ');
    }

    /** Shortest text that reads back to the same double; NaN as BIDS's n/a. */
    public static String formatNumber(double d) {
        if (Double.isNaN(d)) return "n/a";
        if (d == Math.rint(d) && Math.abs(d) < 1e15) return Long.toString((long) d);
        return Double.toString(d);
    }
}
