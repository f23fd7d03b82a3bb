package dev.duet.protocol.testing;

/**
 * How long each fuzz test runs when fuzzing for real ({@code JAZZER_FUZZ=1}, {@code bench/fuzz.sh}): ten million
 * inputs, or thirty minutes, whichever comes first. An ordinary build runs only the saved inputs of each.
 */
public final class FuzzLimits {
    public static final long MAX_EXECUTIONS = 10_000_000;
    public static final String MAX_DURATION = "30m";

    private FuzzLimits() {
    }
}
