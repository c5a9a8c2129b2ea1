using System.Globalization;
using System.Text;
using Usher.Streaming.Pipeline;

namespace Usher.Streaming.Transports.Stdio;

/// <summary>
/// <c>-</c> as a source: one OIP JSON request per line of stdin (JSONL), the line number being the
/// message id. Nothing to acknowledge; the stream ends at the end of the input.
/// </summary>
internal sealed class JsonLinesSource(Stream input, TimeProvider time) : IStreamSource
{
    public long? Lag => null;

    /// <summary>
    /// Reads on a thread of its own with blocking reads: console streams may ignore cancellation and
    /// asynchronous reads of them are blocking reads on the pool anyway; a stop does not wait for the next line.
    /// </summary>
    public Task RunAsync(MessageInbox inbox, CancellationToken stopReading)
        => Task.Factory.StartNew(() => Read(inbox, stopReading), stopReading, TaskCreationOptions.LongRunning, TaskScheduler.Default)
            .WaitAsync(stopReading);

    public ValueTask AcknowledgeAsync(IReadOnlyList<StreamMessage> messages, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private void Read(MessageInbox inbox, CancellationToken stopReading)
    {
        using var reader = new StreamReader(input, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, bufferSize: 64 * 1024, leaveOpen: true);
        long line = 0;
        while (!stopReading.IsCancellationRequested)
        {
            var text = reader.ReadLine();
            if (text is null)
            {
                return;
            }

            line++;
            text = text.TrimEnd();
            if (text.Length == 0)
            {
                continue;
            }

            inbox.ReserveAsync(1, stopReading).AsTask().GetAwaiter().GetResult();
            inbox.Add(new StreamMessage { Id = line.ToString(CultureInfo.InvariantCulture), Request = Encoding.UTF8.GetBytes(text), Timestamp = time.GetUtcNow() });
        }
    }
}
