package dev.duet.chat.store;

import dev.duet.thrift.chat.Message;

/**
 * What an append found or did for one request. {@code message} is the stored message (its first seq and timestamp
 * when the sender's client message id was stored already: {@code duplicate}). {@code conflict}: that id is stored
 * for a different body; nothing was stored, and {@code message} is null.
 */
public record AppendResult(Message message, boolean duplicate, boolean conflict) {

    static AppendResult stored(Message message) {
        return new AppendResult(message, false, false);
    }

    static AppendResult duplicateOf(Message message) {
        return new AppendResult(message, true, false);
    }

    static AppendResult conflicting() {
        return new AppendResult(null, false, true);
    }
}
