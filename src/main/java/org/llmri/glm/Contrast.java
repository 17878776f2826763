package org.llmri.glm;

import java.util.ArrayList;
import java.util.List;
import org.llmri.LlmriException;

/**
 * A contrast over the design's columns. Syntax (documented in {@code llmri glm --help}):
 * <ul>
 *   <li>t contrast: a linear expression of column names, e.g. {@code task - control},
 *       {@code 2*task - a - b}, {@code (a + b)/2 - c};</li>
 *   <li>F contrast: {@code F:} then rows separated by {@code ;}, e.g. {@code F:task;control} or
 *       {@code F:a - b; b - c};</li>
 *   <li>either may be named {@code NAME=EXPR}; otherwise the file-name label is the expression in
 *       camelCase with - and + spelled as Minus and Plus, as nilearn names contrasts
 *       ({@code task - control} → {@code taskMinusControl}).</li>
 * </ul>
 *
 * @param rows one row (t) or several (F), each over the design's columns
 */
public record Contrast(String expression, String label, double[][] rows, boolean isF) {
    public double[] vector() {
        return rows[0];
    }

    public static Contrast parse(String spec, List<String> columns) {
        String s = spec.strip();
        String name = null;
        int eq = s.indexOf('=');
        if (eq > 0) {
            name = s.substring(0, eq).strip();
            s = s.substring(eq + 1).strip();
            if (!name.matches("[A-Za-z0-9]+")) {
                throw new LlmriException("--contrast '" + spec + "': a contrast name must be letters and digits only");
            }
        }
        boolean isF = s.length() >= 2 && (s.charAt(0) == 'F' || s.charAt(0) == 'f') && s.charAt(1) == ':';
        List<double[]> rows = new ArrayList<>();
        if (isF) {
            for (String part : s.substring(2).split(";")) {
                if (part.isBlank()) continue;
                rows.add(new Parser(part, columns, spec).parseAll());
            }
            if (rows.isEmpty()) throw new LlmriException("--contrast '" + spec + "': an F contrast needs at least one row");
        } else {
            rows.add(new Parser(s, columns, spec).parseAll());
        }
        String label = name != null ? name : cleanName(s);
        if (label.isEmpty()) throw new LlmriException("--contrast '" + spec + "': give it a name, e.g. NAME=" + s);
        return new Contrast(s, label, rows.toArray(double[][]::new), isF);
    }

    /** nilearn's contrast name cleaning: -/+/>/< spelled out, camelCase, letters and digits only. */
    static String cleanName(String expr) {
        String n = expr.replace("-", " Minus ").replace("+", " Plus ").replace(">", " Gt ").replace("<", " Lt ").replace("_", " ");
        String[] parts = n.split(" ", -1);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < parts.length; i++) {
            String p = parts[i];
            if (i == 0) sb.append(p.toLowerCase(java.util.Locale.ROOT));
            else if (!p.isEmpty()) sb.append(Character.toUpperCase(p.charAt(0))).append(p.substring(1).toLowerCase(java.util.Locale.ROOT));
        }
        StringBuilder out = new StringBuilder();
        sb.codePoints().filter(Character::isLetterOrDigit).forEach(out::appendCodePoint);
        return out.toString();
    }

    /** Refuses a contrast whose rows are not estimable with this design (outside its row space). */
    void checkEstimable(Linalg.Pinv pinv, List<String> columns) {
        for (double[] r : rows) {
            boolean zero = true;
            for (double v : r) zero &= v == 0;
            if (zero) throw new LlmriException("contrast '" + expression + "' is zero");
            if (Linalg.nonEstimability(r, pinv.rowBasis()) > 1e-6) {
                throw new LlmriException("contrast '" + expression + "' is not estimable: the design's " + columns.size()
                        + " columns have rank " + pinv.rank() + " (some are linear combinations of others, e.g. conditions"
                        + " covering every time point plus the constant); test a difference such as 'task - control'");
            }
        }
    }

    /** Recursive descent over + - * / ( ), numbers and column names; values are linear forms. */
    private static final class Parser {
        private final String src;
        private final List<String> columns;
        private final String spec;
        private int pos;

        Parser(String src, List<String> columns, String spec) {
            this.src = src;
            this.columns = columns;
            this.spec = spec;
        }

        /** A linear form: coefficients over columns plus a constant. */
        private record Lin(double[] c, double k) {
            boolean constant() {
                for (double v : c) if (v != 0) return false;
                return true;
            }

            Lin scale(double f) {
                double[] o = c.clone();
                for (int i = 0; i < o.length; i++) o[i] *= f;
                return new Lin(o, k * f);
            }

            Lin plus(Lin b, double sign) {
                double[] o = c.clone();
                for (int i = 0; i < o.length; i++) o[i] += sign * b.c[i];
                return new Lin(o, k + sign * b.k);
            }
        }

        double[] parseAll() {
            Lin l = expr();
            skip();
            if (pos < src.length()) fail("unexpected '" + src.charAt(pos) + "'");
            if (l.k() != 0) fail("a contrast cannot have a constant term");
            if (l.constant()) fail("it names no column");
            return l.c();
        }

        private Lin expr() {
            Lin l = term();
            while (true) {
                skip();
                if (peek('+')) { pos++; l = l.plus(term(), 1); }
                else if (peek('-')) { pos++; l = l.plus(term(), -1); }
                else return l;
            }
        }

        private Lin term() {
            Lin l = factor();
            while (true) {
                skip();
                if (peek('*')) {
                    pos++;
                    Lin r = factor();
                    if (l.constant()) l = r.scale(l.k());
                    else if (r.constant()) l = l.scale(r.k());
                    else fail("columns cannot be multiplied together");
                } else if (peek('/')) {
                    pos++;
                    Lin r = factor();
                    if (!r.constant() || r.k() == 0) fail("division only by a non-zero number");
                    l = l.scale(1 / r.k());
                } else {
                    return l;
                }
            }
        }

        private Lin factor() {
            skip();
            if (pos >= src.length()) fail("unexpected end");
            char ch = src.charAt(pos);
            if (ch == '+') { pos++; return factor(); }
            if (ch == '-') { pos++; return factor().scale(-1); }
            if (ch == '(') {
                pos++;
                Lin l = expr();
                skip();
                if (!peek(')')) fail("missing ')'");
                pos++;
                return l;
            }
            if (Character.isDigit(ch) || ch == '.') {
                int s = pos;
                while (pos < src.length() && (Character.isDigit(src.charAt(pos)) || src.charAt(pos) == '.'
                        || ((src.charAt(pos) == 'e' || src.charAt(pos) == 'E') && pos + 1 < src.length()
                        && (Character.isDigit(src.charAt(pos + 1)) || src.charAt(pos + 1) == '-'))
                        || ((src.charAt(pos) == '-') && (src.charAt(pos - 1) == 'e' || src.charAt(pos - 1) == 'E')))) pos++;
                double v;
                try {
                    v = Double.parseDouble(src.substring(s, pos));
                } catch (NumberFormatException e) {
                    fail("bad number '" + src.substring(s, pos) + "'");
                    return null;
                }
                // "2task" reads as 2*task
                skip();
                if (pos < src.length() && isNameStart(src.charAt(pos))) return name().scale(v);
                return new Lin(new double[columns.size()], v);
            }
            if (isNameStart(ch)) return name();
            fail("unexpected '" + ch + "'");
            return null;
        }

        private Lin name() {
            int s = pos;
            while (pos < src.length() && (Character.isLetterOrDigit(src.charAt(pos)) || src.charAt(pos) == '_' || src.charAt(pos) == '.')) pos++;
            String n = src.substring(s, pos);
            int i = columns.indexOf(n);
            if (i < 0) fail("no design column '" + n + "' (columns: " + String.join(", ", columns) + ")");
            double[] c = new double[columns.size()];
            c[i] = 1;
            return new Lin(c, 0);
        }

        private static boolean isNameStart(char c) {
            return Character.isLetter(c) || c == '_';
        }

        private boolean peek(char c) {
            return pos < src.length() && src.charAt(pos) == c;
        }

        private void skip() {
            while (pos < src.length() && Character.isWhitespace(src.charAt(pos))) pos++;
        }

        private void fail(String why) {
            throw new LlmriException("--contrast '" + spec + "': " + why);
        }
    }
}
