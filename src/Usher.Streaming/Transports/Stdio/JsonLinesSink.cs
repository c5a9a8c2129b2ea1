using Usher.Streaming.Pipeline;

namespace Usher.Streaming.Transports.Stdio;

/// <summary><c>-</c> as a sink: one answer object per line of stdout (JSONL), flushed per batch.</summary>
internal sealed class JsonLinesSink(Stream output) : IStreamSink
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    public async ValueTask WriteAsync(IReadOnlyList<StreamAnswer> answers, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            foreach (var answer in answers)
            {
                await output.WriteAsync(AnswerJson.Write(answer), cancellationToken).ConfigureAwait(false);
                output.WriteByte((byte)'\n');
            }

            await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    public ValueTask DisposeAsync()
    {
        _gate.Dispose();
        return ValueTask.CompletedTask;
    }
}
