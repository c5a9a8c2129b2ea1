using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using Usher.Streaming.Pipeline;

namespace Usher.Streaming.Transports.Stdio;

/// <summary>
/// <c>-</c> as a source: one OIP JSON request per line of stdin (JSONL), the line number being the
/// message id. Nothing to acknowledge; the stream ends at the end of the input.
/// </summary>
internal sealed class JsonLinesSource(Stream input, TimeProvider time) : IStreamSource
{
    /// <summary>Lines longer than this are refused as malformed rather than buffered.</summary>
    public const int MaxLineBytes = 64 * 1024 * 1024;

    public long? Lag => null;

    public async Task RunAsync(MessageInbox inbox, CancellationToken stopReading)
    {
        var reader = PipeReader.Create(input, new StreamPipeReaderOptions(leaveOpen: true));
        long line = 0;
        try
        {
            while (!stopReading.IsCancellationRequested)
            {
                var room = await inbox.ReserveAsync(1, stopReading).ConfigureAwait(false);
                ReadOnlyMemory<byte>? request = null;
                while (true)
                {
                    // Console streams may ignore the token: a stop does not wait for the next line.
                    var read = await reader.ReadAsync(stopReading).AsTask().WaitAsync(stopReading).ConfigureAwait(false);
                    var buffer = read.Buffer;
                    var end = buffer.PositionOf((byte)'\n');
                    if (end is { } newline)
                    {
                        request = Trim(buffer.Slice(0, newline).ToArray());
                        reader.AdvanceTo(buffer.GetPosition(1, newline));
                        break;
                    }

                    if (read.IsCompleted)
                    {
                        request = buffer.Length > 0 ? Trim(buffer.ToArray()) : null;
                        reader.AdvanceTo(buffer.End);
                        if (request is null)
                        {
                            inbox.Unreserve(room);
                            return;
                        }

                        break;
                    }

                    if (buffer.Length > MaxLineBytes)
                    {
                        throw new InvalidDataException($"stdin: line {(line + 1).ToString(CultureInfo.InvariantCulture)} is longer than {MaxLineBytes} bytes");
                    }

                    reader.AdvanceTo(buffer.Start, buffer.End);
                }

                line++;
                if (request is { Length: 0 })
                {
                    inbox.Unreserve(room);
                    continue;
                }

                inbox.Add(new StreamMessage { Id = line.ToString(CultureInfo.InvariantCulture), Request = request, Timestamp = time.GetUtcNow() });
            }
        }
        finally
        {
            if (!stopReading.IsCancellationRequested)
            {
                await reader.CompleteAsync().ConfigureAwait(false);
            }
        }
    }

    public ValueTask AcknowledgeAsync(IReadOnlyList<StreamMessage> messages, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static ReadOnlyMemory<byte> Trim(byte[] line)
    {
        var span = line.AsSpan();
        var length = span.Length;
        while (length > 0 && (span[length - 1] == (byte)'\r' || span[length - 1] == (byte)' '))
        {
            length--;
        }

        return line.AsMemory(0, length);
    }
}
