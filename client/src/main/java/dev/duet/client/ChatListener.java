package dev.duet.client;

import dev.duet.thrift.chat.Message;
import dev.duet.thrift.chat.SessionEndReason;

/** What the server pushes. Called on the client's I/O thread: hand long work elsewhere. */
public interface ChatListener {
    default void messageReceived(Message message) {
    }

    default void partnerTyping(String userId, boolean typing) {
    }

    default void readMarkUpdated(String userId, long seq) {
    }

    default void sessionEnding(SessionEndReason reason, String detail) {
    }

    /** The connection is up and authenticated again after a reconnect. */
    default void reconnected() {
    }

    /** The session moved to {@code state}. */
    default void stateChanged(ConnectionState state) {
    }
}
