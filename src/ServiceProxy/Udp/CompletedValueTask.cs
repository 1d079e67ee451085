using System.Diagnostics;

namespace ServiceProxy.Udp;

internal static class CompletedValueTask
{
    /// <summary>
    /// Consumes a send that already completed synchronously, so the socket's pooled awaitable goes
    /// back to the socket for the next datagram. Only ever called after IsCompletedSuccessfully:
    /// it never waits.
    /// </summary>
    public static void Consume(ValueTask<int> completed)
    {
        Debug.Assert(completed.IsCompletedSuccessfully);
        _ = completed.Result;
    }
}
