using Xunit;

namespace Usher.Testing;

/// <summary>The wait of the tests whose background loops run on their own (a fake clock moved on between looks).</summary>
internal static class Wait
{
    /// <inheritdoc cref="EventuallyAsync(Func{Task{bool}}, string, Action?)"/>
    public static Task EventuallyAsync(Func<bool> condition, string what, Action? step = null)
        => EventuallyAsync(() => Task.FromResult(condition()), what, step);

    /// <summary>
    /// Waits, with a generous real-time deadline, until <paramref name="condition"/> holds; between
    /// looks the background loops run, and <paramref name="step"/> (when given) moves the fake clock on.
    /// </summary>
    public static async Task EventuallyAsync(Func<Task<bool>> condition, string what, Action? step = null)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for: {what}");
            step?.Invoke();
            await Task.Delay(20);
        }
    }
}
