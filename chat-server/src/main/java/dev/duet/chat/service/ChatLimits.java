package dev.duet.chat.service;

import java.time.Duration;

/**
 * Per-session limits of the chat service.
 *
 * @param authTimeout          time from connection to a successful {@code authenticate}
 * @param maxBodyChars         longest message body accepted
 * @param maxClientMsgIdChars  longest client message id accepted
 * @param maxHistoryPage       most messages one {@code fetchHistory} returns
 * @param catchUpPage          messages read from storage per page while pushing what a client missed
 * @param maxPipelinedRequests requests a session may have in progress before we stop reading from it
 * @param maxPendingPushBytes  bytes a slow client may leave unread before its session is ended (it reconnects and
 *                             catches up from storage: nothing is lost)
 * @param appendTimeout        server-side deadline of one append: past it the session answers {@code UNAVAILABLE}
 *                             (the client retries with the same message id) rather than late; keep it below the
 *                             clients' call timeout (15 s in the SDK), or clients give up on answers still coming
 */
public record ChatLimits(Duration authTimeout, int maxBodyChars, int maxClientMsgIdChars, int maxHistoryPage,
                         int catchUpPage, int maxPipelinedRequests, long maxPendingPushBytes,
                         Duration appendTimeout) {

    /** The same limits with another {@link #appendTimeout()}. */
    public ChatLimits withAppendTimeout(Duration timeout) {
        return new ChatLimits(authTimeout, maxBodyChars, maxClientMsgIdChars, maxHistoryPage, catchUpPage,
                maxPipelinedRequests, maxPendingPushBytes, timeout);
    }

    public static ChatLimits defaults() {
        return new ChatLimits(Duration.ofSeconds(10), 4096, 64, 200, 100, 32, 1 << 20, Duration.ofSeconds(5));
    }
}
