package dev.duet.admin;

import java.util.Map;

/** What the admin endpoint and the MBean show and control of one server process. */
public interface AdminTarget {
    /** {@code presenter} or {@code chat-server}. */
    String role();

    String id();

    /** Alive and able to answer. */
    default boolean isHealthy() {
        return true;
    }

    /** Accepting work: listening, on the ring if a chat server, and not draining. */
    boolean isReady();

    boolean isDraining();

    /** Facts for {@code GET /status}: numbers, strings, booleans, lists and maps of those. */
    Map<String, Object> status();

    /** Starts draining (returns at once); {@link #isDraining()} is true from then on. */
    void drain();
}
