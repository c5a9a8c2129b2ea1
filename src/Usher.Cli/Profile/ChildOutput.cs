namespace Usher.Cli.Profile;

/// <summary>
/// Reads what a child process writes to a redirected stream, on a thread of its own. On Linux a
/// redirected stream is an anonymous pipe, whose <c>ReadAsync</c> is a blocking read queued to the
/// thread pool: reading a client's stdout and stderr that way holds two pool threads for its whole
/// run. In the profile's process that starves the server being measured (on 2 cores the pool starts
/// with 2 threads; on 1 core, 1), whose requests then wait for the pool to add threads, about one
/// every half second: the first requests of a point took seconds, and with a 1 s window nothing
/// was answered in it.
/// </summary>
internal static class ChildOutput
{
    /// <summary>Everything <paramref name="reader"/> gives until the end of its stream, read on a dedicated thread.</summary>
    public static Task<string> ReadToEndAsync(TextReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);

        // The read ends when the child exits (or is killed): its end of the pipe closes.
        return Task.Factory.StartNew(reader.ReadToEnd, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }
}
