package dev.duet.protocol.mux;

/** The peer broke a rule of the mux protocol that ends the whole connection. */
public final class MuxProtocolException extends Exception {
    private static final long serialVersionUID = 1L;

    public MuxProtocolException(String message) {
        super(message, null, false, false);
    }
}
