using System.Text;
using System.Text.Json;

namespace Usher.Cli.Batch;

/// <summary>
/// Parses one JSON Lines row into a <see cref="RowChunk"/>: the mapped columns' numbers into the
/// inputs, the kept columns' values as they are; anything else is skipped unread.
/// </summary>
internal sealed class JsonlRowParser
{
    private readonly ColumnMapping _mapping;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _columns;
    private readonly (int Binding, int Position)[][] _feeds;
    private readonly int[] _keepSlot;

    // The row's numbers as parsed, per input: NaN marks one the line did not have (JSON has no NaN),
    // which the chunk's typed values (integers among them) could not hold.
    private readonly double[][] _row;

    public JsonlRowParser(ColumnMapping mapping)
    {
        _mapping = mapping;
        _row = [.. mapping.Inputs.Select(b => new double[b.Tensor.Width])];
        var names = new Dictionary<string, int>(StringComparer.Ordinal);
        var feeds = new List<(int, int)>[mapping.Columns.Count];
        _keepSlot = new int[mapping.Columns.Count];
        Array.Fill(_keepSlot, -1);
        for (var c = 0; c < mapping.Columns.Count; c++)
        {
            feeds[c] = [];
        }

        for (var b = 0; b < mapping.Inputs.Count; b++)
        {
            var binding = mapping.Inputs[b];
            if (binding.ListColumn >= 0)
            {
                feeds[binding.ListColumn].Add((b, -1));
            }

            for (var i = 0; i < binding.Columns.Count; i++)
            {
                feeds[binding.Columns[i]].Add((b, i));
            }
        }

        for (var k = 0; k < mapping.Keep.Count; k++)
        {
            _keepSlot[mapping.Keep[k]] = k;
        }

        foreach (var c in mapping.UsedColumns)
        {
            names[mapping.Columns[c].Name] = c;
        }

        _feeds = [.. feeds.Select(f => f.ToArray())];
        _columns = names.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>Parses <paramref name="line"/> as the next row of <paramref name="chunk"/>.</summary>
    public void Fill(ReadOnlySpan<byte> line, RowChunk chunk)
    {
        var at = chunk.Rows;
        for (var b = 0; b < _mapping.Inputs.Count; b++)
        {
            // JSON has no NaN: what is still NaN after the line was not in it.
            _row[b].AsSpan().Fill(double.NaN);
        }

        string? error;
        try
        {
            error = Parse(line, chunk, at);
        }
        catch (JsonException ex)
        {
            error = $"not valid JSON ({ex.Message}): {JsonlRowSource.Show(line)}";
        }

        error ??= Missing();
        if (error is null)
        {
            for (var b = 0; b < _row.Length; b++)
            {
                var type = _mapping.Inputs[b].Tensor.DataType;
                var target = chunk.Row(b, at);
                for (var i = 0; i < _row[b].Length; i++)
                {
                    TensorPacker.Write(target, type, i, _row[b][i]);
                }
            }
        }

        chunk.Commit(error);
    }

    private string? Parse(ReadOnlySpan<byte> line, RowChunk chunk, int at)
    {
        var reader = new Utf8JsonReader(line);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return line.IsEmpty ? "empty line" : $"expected a JSON object, got: {JsonlRowSource.Show(line)}";
        }

        Span<char> name = stackalloc char[256];
        string? error = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var column = -1;
            if (reader.ValueSpan.Length <= name.Length)
            {
                var length = reader.CopyString(name);
                if (!_columns.TryGetValue(name[..length], out column))
                {
                    column = -1;
                }
            }

            reader.Read();
            if (column < 0)
            {
                reader.Skip();
                continue;
            }

            if (_keepSlot[column] is var k and >= 0)
            {
                // A copy of the reader reads the value again for the inputs it also feeds.
                var again = reader;
                chunk.Kept[k][at] = KeptValue(ref reader, line, (int)reader.TokenStartIndex);
                if (_feeds[column].Length == 0)
                {
                    continue;
                }

                reader = again;
            }

            foreach (var (b, position) in _feeds[column])
            {
                error ??= position < 0 ? List(ref reader, b, column) : Scalar(ref reader, b, position, column);
            }

            if (reader.TokenType is JsonTokenType.StartArray or JsonTokenType.StartObject)
            {
                reader.Skip();
            }
        }

        return error;
    }

    private string? Scalar(ref Utf8JsonReader reader, int b, int position, int column)
    {
        var tensor = _mapping.Inputs[b].Tensor;
        var name = _mapping.Columns[column].Name;
        if (reader.TokenType != JsonTokenType.Number)
        {
            return $"column '{name}': expected a number, got {Describe(reader.TokenType)}";
        }

        var value = reader.GetDouble();
        _row[b][position] = value;
        return CellValues.Check(value, tensor.DataType, name);
    }

    private string? List(ref Utf8JsonReader reader, int b, int column)
    {
        var tensor = _mapping.Inputs[b].Tensor;
        var name = _mapping.Columns[column].Name;
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            return $"column '{name}': expected an array of {tensor.Width} numbers, got {Describe(reader.TokenType)}";
        }

        var values = _row[b].AsSpan();
        var count = 0;
        string? error = null;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.Number)
            {
                error ??= $"column '{name}': element {count}: expected a number, got {Describe(reader.TokenType)}";
                reader.Skip();
            }
            else if (count < values.Length)
            {
                values[count] = reader.GetDouble();
                error ??= CellValues.Check(values[count], tensor.DataType, name);
            }

            count++;
        }

        return count != tensor.Width ? $"column '{name}': expected {tensor.Width} values for input {tensor.Describe()}, got {count}" : error;
    }

    private string? Missing()
    {
        for (var b = 0; b < _mapping.Inputs.Count; b++)
        {
            var binding = _mapping.Inputs[b];
            var values = _row[b].AsSpan();
            var missing = values.IndexOf(double.NaN);
            if (missing >= 0)
            {
                var column = binding.ListColumn >= 0 ? binding.ListColumn : binding.Columns[missing];
                return $"column '{_mapping.Columns[column].Name}': missing";
            }
        }

        return null;
    }

    private static object? KeptValue(ref Utf8JsonReader reader, ReadOnlySpan<byte> line, int start)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String: return reader.GetString();
            case JsonTokenType.Number: return reader.TryGetInt64(out var l) ? l : reader.GetDouble();
            case JsonTokenType.True: return true;
            case JsonTokenType.False: return false;
            case JsonTokenType.Null: return null;
            default:
                reader.Skip();
                return new KeptJson(Encoding.UTF8.GetString(line[start..(int)reader.BytesConsumed]));
        }
    }

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.String => "a string",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.StartObject => "an object",
        JsonTokenType.Null => "null",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        _ => token.ToString(),
    };
}
