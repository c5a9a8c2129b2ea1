using System.Threading.Channels;

namespace Usher.Cli.Batch;

/// <summary>
/// Read → score → encode → commit, as stages joined by bounded channels so that memory stays flat
/// whatever the file's size: the reader is at most two chunks ahead, at most
/// <see cref="ChunksInFlight"/> chunks are being scored and encoded at once (their batches spread
/// over the model's instances), and the committer takes them in input order.
/// </summary>
internal sealed class BatchPipeline(IRowSource source, ColumnMapping mapping, IBatchScorer scorer, IOutputFormat format)
{
    /// <summary>Chunks scored and encoded at the same time.</summary>
    public const int ChunksInFlight = 3;

    /// <summary>
    /// Runs rows [<paramref name="start"/>, <paramref name="end"/>) from chunk <paramref name="firstChunk"/>;
    /// <paramref name="commit"/> gets each chunk in order and returns false to stop the run.
    /// </summary>
    public async Task RunAsync(long start, long end, int chunkRows, long firstChunk, Func<EncodedChunk, bool> commit, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var token = cts.Token;
        var read = Channel.CreateBounded<RowChunk>(new BoundedChannelOptions(2) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
        var encoded = Channel.CreateBounded<Task<EncodedChunk>>(new BoundedChannelOptions(ChunksInFlight) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
        var chunkScorer = new ChunkScorer(scorer);

        var reading = Task.Run(
            async () =>
            {
                try
                {
                    await source.ReadAsync(start, end, chunkRows, firstChunk, mapping, read.Writer, token).ConfigureAwait(false);
                    read.Writer.Complete();
                }
                catch (Exception ex)
                {
                    read.Writer.Complete(ex);
                }
            },
            CancellationToken.None);

        var scoring = Task.Run(
            async () =>
            {
                try
                {
                    await foreach (var chunk in read.Reader.ReadAllAsync(token).ConfigureAwait(false))
                    {
                        await encoded.Writer.WriteAsync(EncodeAsync(chunkScorer, chunk, token), token).ConfigureAwait(false);
                    }

                    encoded.Writer.Complete();
                }
                catch (Exception ex)
                {
                    encoded.Writer.Complete(ex);
                }
            },
            CancellationToken.None);

        try
        {
            await foreach (var pending in encoded.Reader.ReadAllAsync(token).ConfigureAwait(false))
            {
                if (!commit(await pending.ConfigureAwait(false)))
                {
                    break;
                }
            }
        }
        finally
        {
            await cts.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(reading, scoring).ConfigureAwait(false);

            // Chunks still in flight after a stop are not committed; let them finish quietly.
            while (encoded.Reader.TryRead(out var orphan))
            {
                await Task.WhenAny(orphan).ConfigureAwait(false);
            }
        }
    }

    private async Task<EncodedChunk> EncodeAsync(ChunkScorer chunkScorer, RowChunk chunk, CancellationToken cancellationToken)
    {
        var scored = await chunkScorer.ScoreAsync(chunk, cancellationToken).ConfigureAwait(false);
        var output = await format.WritePartAsync(scored, cancellationToken).ConfigureAwait(false);
        return new EncodedChunk(chunk.Index, chunk.FirstRow, chunk.Rows, chunk.ErrorCount, output, ErrorLines.Encode(chunk), ErrorLines.First(chunk));
    }
}
