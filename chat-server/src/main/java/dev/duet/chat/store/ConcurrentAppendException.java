package dev.duet.chat.store;

/** The guarded append lost its check every time: other writers kept changing the couple's row. */
public final class ConcurrentAppendException extends Exception {
    private static final long serialVersionUID = 1L;

    public ConcurrentAppendException(String message) {
        super(message, null, false, false);
    }
}
