package dev.duet.chat.service;

import dev.duet.ring.Member;
import dev.duet.thrift.chat.ErrorCode;
import dev.duet.thrift.mux.ResetCode;

/**
 * A call whose answer ends the session: the token failed, or the couple belongs to another server. On a mux stream
 * a {@code NOT_OWNER} is a bare {@code RESET} (a NACK the presenter retries elsewhere); otherwise the client gets a
 * {@code ChatError} and the stream or connection closes.
 */
final class SessionEndException extends Exception {
    private static final long serialVersionUID = 1L;

    private final ResetCode resetCode;
    private final ErrorCode errorCode;
    private final transient Member owner;

    SessionEndException(ResetCode resetCode, ErrorCode errorCode, String message, Member owner) {
        super(message, null, false, false);
        this.resetCode = resetCode;
        this.errorCode = errorCode;
        this.owner = owner;
    }

    ResetCode resetCode() {
        return resetCode;
    }

    ErrorCode errorCode() {
        return errorCode;
    }

    Member owner() {
        return owner;
    }
}
