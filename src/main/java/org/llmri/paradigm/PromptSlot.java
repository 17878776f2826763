package org.llmri.paradigm;

/**
 * One prompt of a run, in presentation order.
 *
 * @param index     0-based position in the run
 * @param block     1-based index of its block in the design pattern
 * @param condition "on" (task) or "off" (control)
 * @param promptId  stable id, e.g. {@code politicalscience-017}, {@code control-cooking-003}, {@code randomstrings-r1-05}
 * @param text      the prompt exactly as it is fed to the model
 */
public record PromptSlot(int index, int block, String condition, String promptId, String text) {}
