package dev.duet.protocol.mux;

/**
 * Stream handover signals, fired as user events through a {@link StreamChannel}'s pipeline (docs/protocol.md,
 * "Handover"). {@link StreamHandoverEvent} carries the handover itself.
 */
public enum StreamEvent {
    /** Presenter side: the chat server sent {@code MOVE}; stop relaying the client's bytes and close the output. */
    MOVE_REQUESTED,
    /**
     * Chat server side, after this stream sent {@code MOVE}: the presenter's {@code CLOSE} arrived, so every client byte
     * it will send on this stream is here. The stream stays open for the handover.
     */
    INPUT_CLOSED,
    /** Presenter side: the chat server accepted a resumed stream ({@code RESUMED}). */
    RESUMED
}
