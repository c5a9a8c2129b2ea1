using System.Text;
using System.Text.Json;

namespace Usher.Cli.Batch;

/// <summary>
/// A JSON Lines file: one object per line. The first line's keys are the columns; a key whose
/// value is an array is a list column. Numbers are read as numbers; kept values keep their JSON type.
/// </summary>
internal sealed class JsonlRowSource : IRowSource
{
    private readonly string _path;

    private JsonlRowSource(string path, IReadOnlyList<SourceColumn> columns, long rows)
    {
        _path = path;
        Columns = columns;
        RowCount = rows;
    }

    /// <inheritdoc />
    public IReadOnlyList<SourceColumn> Columns { get; }

    /// <inheritdoc />
    public long RowCount { get; }

    /// <inheritdoc />
    public IReadOnlyList<long>? ShardBoundaries => null;

    /// <summary>Opens <paramref name="path"/> and reads the columns from its first line; null with the problem when it is not a JSON object.</summary>
    public static JsonlRowSource? Open(string path, List<string> problems)
    {
        var lines = LineCounter.Count(path);
        using var reader = new Utf8LineReader(path);
        var columns = new List<SourceColumn>();
        if (reader.TryReadLine(out var first))
        {
            try
            {
                using var doc = JsonDocument.Parse(first.ToArray());
                if (doc.RootElement.ValueKind != JsonValueKind.Object)
                {
                    problems.Add($"--input {path}: line 1 is JSON {doc.RootElement.ValueKind}, expected an object such as {{\"id\": 1, \"features\": [0.1, 0.2]}}");
                    return null;
                }

                columns.AddRange(doc.RootElement.EnumerateObject().Select(p => new SourceColumn(p.Name, p.Value.ValueKind == JsonValueKind.Array)));
            }
            catch (JsonException ex)
            {
                problems.Add($"--input {path}: line 1 is not JSON ({ex.Message}); expected one JSON object per line");
                return null;
            }
        }

        return new JsonlRowSource(path, columns, lines);
    }

    /// <inheritdoc />
    public async Task ReadAsync(long start, long end, ColumnMapping mapping, ChunkBuilder chunks, CancellationToken cancellationToken)
    {
        var plan = new JsonlRowParser(mapping);
        using var reader = new Utf8LineReader(_path);
        long row = 0;
        while (row < start && reader.TryReadLine(out _))
        {
            row++;
        }

        while (row < end && reader.TryReadLine(out var line))
        {
            plan.Fill(line, chunks.For(row));
            row++;
            await chunks.RowDoneAsync(cancellationToken).ConfigureAwait(false);
        }

        await chunks.CompleteAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>Shows a line in a message, shortened.</summary>
    internal static string Show(ReadOnlySpan<byte> line) => line.Length > 60 ? Encoding.UTF8.GetString(line[..60]) + "..." : Encoding.UTF8.GetString(line);
}
