package org.llmri.network;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import org.llmri.LlmriException;

/**
 * A task's network: the units that pass the task &gt; control contrast at the chosen threshold, kept
 * apart by sign. {@code positive} holds units more active in the task than in the control blocks,
 * {@code negative} those less active. The two never share a unit.
 *
 * @param task the task (or other label) the network belongs to
 * @param units the number of units in the model (the length of the masks)
 */
public record Network(String task, int units, BitSet positive, BitSet negative) {
    public Network {
        if (units < 0) throw new IllegalArgumentException("negative unit count");
        positive = (BitSet) positive.clone();
        negative = (BitSet) negative.clone();
        if (positive.length() > units || negative.length() > units) {
            throw new IllegalArgumentException("network " + task + ": mask longer than " + units + " units");
        }
        if (positive.intersects(negative)) throw new IllegalArgumentException("network " + task + ": a unit is both positive and negative");
    }

    @Override
    public BitSet positive() {
        return (BitSet) positive.clone();
    }

    @Override
    public BitSet negative() {
        return (BitSet) negative.clone();
    }

    /** The sign of a network: units above, or below, the control condition. */
    public enum Sign {
        POSITIVE, NEGATIVE;

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public BitSet mask(Sign sign) {
        return sign == Sign.POSITIVE ? positive() : negative();
    }

    /** The mask without a copy, for read-only use inside this package. */
    BitSet maskView(Sign sign) {
        return sign == Sign.POSITIVE ? positive : negative;
    }

    public int size(Sign sign) {
        return maskView(sign).cardinality();
    }

    public int positiveCount() {
        return positive.cardinality();
    }

    public int negativeCount() {
        return negative.cardinality();
    }

    public boolean isEmpty() {
        return positive.isEmpty() && negative.isEmpty();
    }

    /** Significant units split by the sign of their z value. */
    public static Network fromMask(String task, double[] z, boolean[] significant) {
        if (z.length != significant.length) {
            throw new LlmriException("network " + task + ": z map has " + z.length + " units, mask has " + significant.length);
        }
        BitSet pos = new BitSet(z.length), neg = new BitSet(z.length);
        for (int u = 0; u < z.length; u++) {
            if (!significant[u]) continue;
            if (z[u] > 0) pos.set(u);
            else if (z[u] < 0) neg.set(u);
        }
        return new Network(task, z.length, pos, neg);
    }

    /** Units whose |z| reaches {@code threshold} (a NaN z is never in the network). */
    public static Network threshold(String task, double[] z, double threshold) {
        if (!(threshold > 0)) throw new LlmriException("network " + task + ": |z| threshold must be > 0, not " + threshold);
        BitSet pos = new BitSet(z.length), neg = new BitSet(z.length);
        for (int u = 0; u < z.length; u++) {
            if (z[u] >= threshold) pos.set(u);
            else if (z[u] <= -threshold) neg.set(u);
        }
        return new Network(task, z.length, pos, neg);
    }

    /** The count of network units in one group of units (a kind, a level or a tap). */
    public record GroupSize(String group, int units, int positive, int negative) {
        public double positiveFraction() {
            return units == 0 ? 0 : (double) positive / units;
        }

        public double negativeFraction() {
            return units == 0 ? 0 : (double) negative / units;
        }
    }

    /** Network sizes per tap kind, in {@link UnitTable#kinds()} order. */
    public List<GroupSize> sizesByKind(UnitTable table) {
        return sizes(table, Grouping.KIND);
    }

    /** Network sizes per level (layer, or tap outside the layers), in {@link UnitTable#levels()} order. */
    public List<GroupSize> sizesByLevel(UnitTable table) {
        return sizes(table, Grouping.LEVEL);
    }

    /** Network sizes per tap, in {@link UnitTable#taps()} order. */
    public List<GroupSize> sizesByTap(UnitTable table) {
        return sizes(table, Grouping.TAP);
    }

    /** The ways units are grouped in size tables. */
    public enum Grouping {
        KIND, LEVEL, TAP;

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * Writes the sizes of {@code networks} as one table (columns {@code task grouping group units
     * positive negative}): rows per kind, then per level, then per tap for each network.
     */
    public static void writeSizes(java.nio.file.Path file, List<Network> networks, UnitTable table) {
        List<List<Object>> rows = new ArrayList<>();
        for (Network n : networks) {
            for (Grouping g : Grouping.values()) {
                for (GroupSize s : n.sizes(table, g)) rows.add(List.of(n.task(), g.label(), s.group(), s.units(), s.positive(), s.negative()));
            }
        }
        org.llmri.io.Tsv.write(file, List.of("task", "grouping", "group", "units", "positive", "negative"), rows);
    }

    public List<GroupSize> sizes(UnitTable table, Grouping grouping) {
        table.checkLength("network " + task, units);
        int groups = switch (grouping) {
            case KIND -> table.kinds().size();
            case LEVEL -> table.levels().size();
            case TAP -> table.taps().size();
        };
        int[] total = new int[groups], pos = new int[groups], neg = new int[groups];
        for (int t = 0; t < table.taps().size(); t++) {
            int g = switch (grouping) {
                case KIND -> table.kindIndexOfTap(t);
                case LEVEL -> table.levelIndexOfTap(t);
                case TAP -> t;
            };
            UnitTable.Tap tap = table.taps().get(t);
            total[g] += tap.size();
            for (int i = 0; i < tap.size(); i++) {
                int u = tap.unit(i);
                if (positive.get(u)) pos[g]++;
                else if (negative.get(u)) neg[g]++;
            }
        }
        List<GroupSize> out = new ArrayList<>(groups);
        for (int g = 0; g < groups; g++) {
            String name = switch (grouping) {
                case KIND -> table.kinds().get(g);
                case LEVEL -> table.levels().get(g).label();
                case TAP -> table.taps().get(g).name();
            };
            out.add(new GroupSize(name, total[g], pos[g], neg[g]));
        }
        return out;
    }
}
