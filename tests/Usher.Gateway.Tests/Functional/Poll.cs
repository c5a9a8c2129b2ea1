namespace Usher.Gateway.Tests.Functional;

/// <summary>Waits for what real processes and real sockets do in their own time, with a generous deadline (never a timed assertion).</summary>
internal static class Poll
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    /// <summary>Looks again every 20 ms until <paramref name="condition"/> holds; fails with <paramref name="message"/> after the deadline.</summary>
    public static Task UntilAsync(Func<bool> condition, string message) => UntilAsync(() => Task.FromResult(condition()), message);

    /// <inheritdoc cref="UntilAsync(Func{bool}, string)"/>
    public static async Task UntilAsync(Func<Task<bool>> condition, string message)
    {
        using var deadline = new CancellationTokenSource(Deadline);
        while (!await condition())
        {
            Assert.False(deadline.IsCancellationRequested, message);
            await Task.Delay(20);
        }
    }
}
