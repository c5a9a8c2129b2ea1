using Npgsql;
using NpgsqlTypes;

namespace Usher.ControlPlane.Analysis.Summaries;

/// <summary>
/// The replicas' window summaries in PostgreSQL (the <c>window_summaries</c> table, migration 4): each
/// replica flushes what it has seen of the window so far, every flush interval and at the window's end
/// (<see cref="FlushAsync"/>); the leader merges every replica's latest flush (<see cref="MergeAsync"/>).
/// </summary>
/// <remarks>
/// A flush carries the replica's whole window so far, not what changed since the last flush, with a
/// sequence number that grows with each flush; a row is replaced only by a higher one. So a retried
/// flush (same sequence number) or a late one (lower) changes nothing, a lost flush is made good by the
/// next, and the merge counts each replica's traffic exactly once. The rows of one flush are written
/// in one transaction, so the leader never merges half of a replica's flush.
/// </remarks>
internal sealed class WindowSummaryTable(NpgsqlDataSource source, TimeProvider? time = null)
{
    private const string Upsert = """
        INSERT INTO window_summaries(endpoint, rollout_id, window_start, variant, replica_id, seq, summary, flushed_at)
        VALUES (@endpoint, @rollout, @start, @variant, @replica, @seq, @summary, @at)
        ON CONFLICT (endpoint, rollout_id, window_start, variant, replica_id) DO UPDATE
            SET seq = EXCLUDED.seq, summary = EXCLUDED.summary, flushed_at = EXCLUDED.flushed_at
            WHERE window_summaries.seq < EXCLUDED.seq
        """;

    private readonly NpgsqlDataSource _source = source ?? throw new ArgumentNullException(nameof(source));
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>Writes one replica's summaries of a window, each variant's replacing its older flush.</summary>
    /// <param name="window">The window.</param>
    /// <param name="replicaId">The replica (its id in the replica registry).</param>
    /// <param name="seq">This flush's sequence number: higher than the replica's previous flush of the window.</param>
    /// <param name="variants">The replica's summary of each variant, since the window started.</param>
    /// <param name="cancellationToken">Cancels the write (nothing of it is kept).</param>
    /// <returns>How many variants' rows this flush wrote (0 when every row already had this flush or a later one).</returns>
    public async Task<int> FlushAsync(SummaryWindow window, string replicaId, long seq, IReadOnlyDictionary<string, VariantSummary> variants, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(window);
        ArgumentException.ThrowIfNullOrEmpty(replicaId);
        ArgumentNullException.ThrowIfNull(variants);
        ArgumentOutOfRangeException.ThrowIfNegative(seq);
        var at = _time.GetUtcNow().UtcDateTime;
        await using var connection = await _source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var written = 0;
        foreach (var (variant, summary) in variants.OrderBy(v => v.Key, StringComparer.Ordinal))
        {
            await using var command = new NpgsqlCommand(Upsert, connection, transaction);
            AddKey(command, window);
            command.Parameters.AddWithValue("variant", variant);
            command.Parameters.AddWithValue("replica", replicaId);
            command.Parameters.AddWithValue("seq", seq);
            command.Parameters.Add(new NpgsqlParameter("summary", NpgsqlDbType.Bytea) { Value = summary.ToBytes() });
            command.Parameters.AddWithValue("at", at);
            written += await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return written;
    }

    /// <summary>Every replica's latest summary of the window, added up per variant.</summary>
    /// <returns>The merged summary of each variant any replica flushed, and how many replicas flushed it.</returns>
    /// <exception cref="InvalidDataException">A row does not hold a summary this Usher reads (the message names the replica).</exception>
    public async Task<IReadOnlyDictionary<string, MergedSummary>> MergeAsync(SummaryWindow window, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(window);
        await using var command = _source.CreateCommand("""
            SELECT variant, replica_id, summary FROM window_summaries
            WHERE endpoint = @endpoint AND rollout_id = @rollout AND window_start = @start
            ORDER BY variant, replica_id
            """);
        AddKey(command, window);
        var parts = new SortedDictionary<string, List<VariantSummary>>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var variant = reader.GetString(0);
            var replica = reader.GetString(1);
            VariantSummary summary;
            try
            {
                summary = VariantSummary.FromBytes(reader.GetFieldValue<byte[]>(2));
            }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException($"window summary of variant '{variant}' from replica '{replica}' ({window.Endpoint}, rollout {window.RolloutId}): {e.Message}", e);
            }

            if (!parts.TryGetValue(variant, out var list))
            {
                parts[variant] = list = [];
            }

            list.Add(summary);
        }

        return parts.ToDictionary(p => p.Key, p => new MergedSummary(VariantSummary.Sum(p.Value), p.Value.Count), StringComparer.Ordinal);
    }

    private static void AddKey(NpgsqlCommand command, SummaryWindow window)
    {
        command.Parameters.AddWithValue("endpoint", window.Endpoint);
        command.Parameters.AddWithValue("rollout", window.RolloutId);
        command.Parameters.AddWithValue("start", window.Start.UtcDateTime);
    }
}
