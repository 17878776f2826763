package org.llmri.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PowerCommandTest {
    @Test
    void theBuiltInParadigmsDesignAndLargerOnes() {
        Cli r = Cli.run("power", "--paradigm", "galactica-fmri");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("3 runs x (8 task + 12 control prompts), 158,208 units")
                .contains("detectable at 80% power: d = 1.78").contains("<- this design");
        // more prompts per block never make the detectable effect larger
        Cli fewer = Cli.run("power", "--paradigm", "galactica-fmri", "--units", "1000");
        assertThat(fewer.out()).contains("1,000 units");
    }
}
