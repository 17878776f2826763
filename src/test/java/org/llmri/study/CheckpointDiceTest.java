package org.llmri.study;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.BitSet;
import org.junit.jupiter.api.Test;
import org.llmri.network.Network;

/** The Dice of a checkpoint study counts a unit as shared only when both networks hold it with the same sign. */
class CheckpointDiceTest {
    static Network net(int[] pos, int[] neg) {
        BitSet p = new BitSet(), n = new BitSet();
        for (int u : pos) p.set(u);
        for (int u : neg) n.set(u);
        return new Network("t", 10, p, n);
    }

    @Test
    void sameSignOnlyAndEmptyIsUndefined() {
        Network a = net(new int[] {1, 2, 3}, new int[] {4});
        assertThat(CheckpointStudy.signedDice(a, a)).isEqualTo(1.0);
        // unit 4 flips sign: shared are 1, 2 -> 2 * 2 / (4 + 3)
        Network b = net(new int[] {1, 2, 4}, new int[] {});
        assertThat(CheckpointStudy.signedDice(a, b)).isEqualTo(4.0 / 7);
        assertThat(CheckpointStudy.signedDice(a, net(new int[] {}, new int[] {}))).isEqualTo(0.0);
        assertThat(CheckpointStudy.signedDice(net(new int[] {}, new int[] {}), net(new int[] {}, new int[] {}))).isNull();
    }

    @Test
    void revisionFoldersAreSafeNames() {
        assertThat(CheckpointStudy.folderOf("step1000")).isEqualTo("rev-step1000");
        assertThat(CheckpointStudy.folderOf("refs/pr/1")).isEqualTo("rev-refs_pr_1");
    }
}
