package org.llmri.network;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.SplittableRandom;
import org.hipparchus.distribution.discrete.HypergeometricDistribution;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.llmri.io.Tsv;

class OverlapTest {
    @TempDir Path dir;

    static BitSet bits(int... units) {
        BitSet b = new BitSet();
        for (int u : units) b.set(u);
        return b;
    }

    @Test
    void metricsAreExact() {
        Overlap.Metrics m = Overlap.Metrics.of(bits(1, 2, 3, 4), bits(3, 4, 5, 6, 7, 8));
        assertThat(m.intersection()).isEqualTo(2);
        assertThat(m.union()).isEqualTo(8);
        assertThat(m.dice()).isEqualTo(0.4); // 2*2/(4+6)
        assertThat(m.jaccard()).isEqualTo(0.25); // 2/8
        assertThat(m.overlapCoefficient()).isEqualTo(0.5); // 2/min(4,6)
        Overlap.Metrics empty = Overlap.Metrics.of(bits(), bits(1));
        assertThat(empty.dice()).isZero();
        assertThat(empty.overlapCoefficient()).isNaN();
        assertThat(Overlap.Metrics.of(bits(), bits()).dice()).isNaN();
        assertThat(Overlap.Metrics.of(bits(5), bits(5)).jaccard()).isEqualTo(1.0);
    }

    @Test
    void hypergeometricMatchesHipparchus() {
        var h = new Overlap.Hypergeometric(50, 12, 20);
        var ref = new HypergeometricDistribution(50, 12, 20);
        for (int k = 0; k <= 12; k++) assertThat(h.cdfAt(k)).isCloseTo(ref.cumulativeProbability(k), within(1e-12));
        // sampling follows it: the mean of many draws is n*a*b/N... = 12*20/50
        SplittableRandom rng = new SplittableRandom(1);
        double s = 0;
        for (int i = 0; i < 20000; i++) s += h.sample(rng);
        assertThat(s / 20000).isCloseTo(4.8, within(0.05));
    }

    /** Four taps of 500 units in two layers. */
    static UnitTable fourTaps() {
        List<UnitTable.Row> rows = new ArrayList<>();
        for (int l = 0; l < 2; l++) {
            for (String kind : List.of("fc1", "fc2")) for (int i = 0; i < 500; i++) rows.add(new UnitTable.Row("layers." + l + "." + kind, kind, l, i));
        }
        return UnitTable.of(rows);
    }

    static Network net(String name, BitSet positive) {
        return new Network(name, 2000, positive, new BitSet());
    }

    @Test
    void plantedOverlapExceedsChanceAndRandomOnesDoNot() {
        UnitTable t = fourTaps();
        SplittableRandom rng = new SplittableRandom(7);
        // a and b share 60 of their 100 units; c is random
        BitSet a = new BitSet(), b = new BitSet(), c = new BitSet();
        int[] perm = shuffled(2000, rng);
        for (int i = 0; i < 100; i++) a.set(perm[i]);
        for (int i = 40; i < 140; i++) b.set(perm[i]);
        int[] perm2 = shuffled(2000, rng);
        for (int i = 0; i < 100; i++) c.set(perm2[i]);
        Overlap.Result r = Overlap.compute(List.of(net("a", a), net("b", b), net("c", c)), t, Overlap.Settings.defaults(3));
        Overlap.Pair ab = r.find("a", "b", Network.Sign.POSITIVE).orElseThrow();
        assertThat(ab.observed().intersection()).isEqualTo(60);
        assertThat(ab.observed().dice()).isEqualTo(0.6);
        assertThat(ab.p()).isEqualTo(1 / 1001.0);
        assertThat(ab.exceedsChance()).isTrue();
        assertThat(ab.nullMeanDice()).isCloseTo(0.05, within(0.01)); // 100*100/2000 shared expected = 5 -> Dice 0.05
        assertThat(r.mostOverlapping(Network.Sign.POSITIVE).orElseThrow()).isEqualTo(ab);
        Overlap.Pair ac = r.find("c", "a", Network.Sign.POSITIVE).orElseThrow();
        assertThat(ac.p()).isGreaterThan(0.05);
        assertThat(ac.exceedsChance()).isFalse();
        // negative networks are empty: never exceed chance
        assertThat(r.find("a", "b", Network.Sign.NEGATIVE).orElseThrow().exceedsChance()).isFalse();
        // per layer: the rows of one pair add up to the overall counts
        int sum = r.byLevel().stream().filter(p -> p.taskA().equals("a") && p.taskB().equals("b") && p.sign() == Network.Sign.POSITIVE)
                .mapToInt(p -> p.observed().intersection()).sum();
        assertThat(sum).isEqualTo(60);
    }

    @Test
    void randomNetworksGiveRoughlyUniformP() {
        UnitTable t = fourTaps();
        SplittableRandom rng = new SplittableRandom(11);
        List<Network> nets = new ArrayList<>();
        for (int k = 0; k < 12; k++) {
            BitSet s = new BitSet();
            int[] perm = shuffled(2000, rng);
            for (int i = 0; i < 150; i++) s.set(perm[i]);
            nets.add(net("n" + k, s));
        }
        Overlap.Result r = Overlap.compute(nets, t, new Overlap.Settings(400, 5, 0.05));
        List<Overlap.Pair> pos = r.overall().stream().filter(p -> p.sign() == Network.Sign.POSITIVE).toList();
        assertThat(pos).hasSize(66);
        long small = pos.stream().filter(p -> p.p() < 0.05).count();
        assertThat(small).isLessThanOrEqualTo(10); // about 3 expected
        assertThat(pos.stream().filter(Overlap.Pair::exceedsChance).count()).isLessThanOrEqualTo(2);
        double meanP = pos.stream().mapToDouble(Overlap.Pair::p).average().orElseThrow();
        assertThat(meanP).isBetween(0.35, 0.65);
    }

    @Test
    void nullKeepsNetworksInTheirTaps() {
        // both networks fill 80 % of the same tap: a large overlap that the tap sizes alone explain
        UnitTable t = fourTaps();
        BitSet a = new BitSet(), b = new BitSet();
        for (int i = 0; i < 400; i++) a.set(i);
        for (int i = 100; i < 500; i++) b.set(i);
        Overlap.Result r = Overlap.compute(List.of(net("a", a), net("b", b)), t, Overlap.Settings.defaults(1));
        Overlap.Pair ab = r.overall().getFirst();
        assertThat(ab.observed().dice()).isEqualTo(0.75);
        assertThat(ab.p()).isGreaterThan(0.2); // 300 shared is below the null's mean of 320
        assertThat(ab.nullMeanDice()).isCloseTo(0.8, within(0.01));
    }

    @Test
    void writesTablesAndIsDeterministic() {
        UnitTable t = fourTaps();
        List<Network> nets = List.of(net("a", bits(1, 2, 3, 600, 1500)), net("b", bits(2, 3, 4, 1501)));
        Overlap.Result r1 = Overlap.compute(nets, t, Overlap.Settings.defaults(9));
        Overlap.Result r2 = Overlap.compute(nets, t, Overlap.Settings.defaults(9));
        assertThat(r1).isEqualTo(r2);
        r1.writeTsv(dir);
        Tsv.Table overall = Tsv.read(dir.resolve("overlap.tsv"));
        assertThat(overall.header()).isEqualTo(Overlap.Result.COLUMNS);
        assertThat(overall.rows()).hasSize(2);
        assertThat(overall.rows().getFirst().subList(0, 10)).containsExactly("a", "b", "positive", "5", "4", "2", "7",
                Double.toString(4 / 9.0), Double.toString(2 / 7.0), "0.5");
        Tsv.Table byLayer = Tsv.read(dir.resolve("overlap_by_layer.tsv"));
        assertThat(byLayer.column("layer")).containsExactly("0", "1", "0", "1");
        assertThat(byLayer.numbers("intersection")).containsExactly(2, 0, 0, 0);
    }

    static int[] shuffled(int n, SplittableRandom rng) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        Stats.shuffle(p, rng);
        return p;
    }
}
