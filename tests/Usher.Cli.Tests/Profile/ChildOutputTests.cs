using System.Text;
using Usher.Cli.Profile;

namespace Usher.Cli.Tests.Profile;

public sealed class ChildOutputTests
{
    [Fact]
    public async Task ReadToEndAsync_ReadsOnAThreadOfItsOwn_NeverThePools()
    {
        // A redirected stream on Linux is an anonymous pipe without real asynchronous reads: like this
        // stream, it answers ReadAsync with a blocking Read on a pool thread. Reading a client's output
        // that way held two of the profiled server's pool threads for the whole run.
        using var stream = new RecordingStream("{\"runs\":[]}\n"u8.ToArray());
        using var reader = new StreamReader(stream, Encoding.UTF8);

        var text = await ChildOutput.ReadToEndAsync(reader);

        Assert.Equal("{\"runs\":[]}\n", text);
        Assert.NotEmpty(stream.ReadOnPoolThread);
        Assert.DoesNotContain(true, stream.ReadOnPoolThread);
    }

    /// <summary>A read-only stream over bytes that records, per Read, whether it ran on a thread-pool thread.</summary>
    private sealed class RecordingStream(byte[] bytes) : MemoryStream(bytes, writable: false)
    {
        public List<bool> ReadOnPoolThread { get; } = [];

        public override int Read(byte[] buffer, int offset, int count)
        {
            ReadOnPoolThread.Add(Thread.CurrentThread.IsThreadPoolThread);
            return base.Read(buffer, offset, count);
        }

        public override int Read(Span<byte> buffer)
        {
            ReadOnPoolThread.Add(Thread.CurrentThread.IsThreadPoolThread);
            return base.Read(buffer);
        }

        // As a pipe does: no asynchronous read of its own, so the base Stream's (a blocking Read queued to the pool).
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
            => Task.Factory.StartNew(() => Read(buffer, offset, count), cancellationToken, TaskCreationOptions.DenyChildAttach, TaskScheduler.Default);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var array = new byte[buffer.Length];
            return new ValueTask<int>(ReadAsync(array, 0, array.Length, cancellationToken).ContinueWith(
                t =>
                {
                    array.AsSpan(0, t.Result).CopyTo(buffer.Span);
                    return t.Result;
                },
                cancellationToken,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default));
        }
    }
}
