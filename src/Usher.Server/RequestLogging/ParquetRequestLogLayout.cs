using System.Text.Json;
using Parquet.Schema;
using Usher.Core.RequestLogging;
using Usher.Core.Tensors;

namespace Usher.Server.RequestLogging;

/// <summary>
/// The columns of a Parquet request log file: the request's facts, then for each input and output a
/// binary column of its elements (<see cref="TensorBytes"/>) and a text column of its shape
/// (<c>input.NAME</c>, <c>input.NAME.shape</c>, <c>output.NAME</c>, ...). The tensors' names and
/// datatypes are in the file's metadata under <see cref="MetadataKey"/>. A file holds requests of one
/// layout: a request with other tensors starts a new file.
/// </summary>
internal sealed class ParquetRequestLogLayout
{
    /// <summary>The key of the file metadata that lists the tensors: <c>{"inputs":[{"name","datatype"}],"outputs":[...]}</c>.</summary>
    public const string MetadataKey = "usher.request_log";

    private ParquetRequestLogLayout(IReadOnlyList<(string Name, DataType Type)> inputs, IReadOnlyList<(string Name, DataType Type)> outputs)
    {
        Inputs = inputs;
        Outputs = outputs;
        var fields = new List<Field>
        {
            new DataField<DateTime>("timestamp"),
            new DataField<string>("model"),
            new DataField<long>("version"),
            new DataField<string>("endpoint"),
            new DataField<string>("variant"),
            new DataField("routing_key", typeof(string), isNullable: true),
            new DataField("request_id", typeof(string), isNullable: true),
            new DataField<double>("latency_ms"),
        };
        foreach (var (name, _) in inputs)
        {
            fields.Add(new DataField<byte[]>($"input.{name}"));
            fields.Add(new DataField<string>($"input.{name}.shape"));
        }

        foreach (var (name, _) in outputs)
        {
            fields.Add(new DataField<byte[]>($"output.{name}"));
            fields.Add(new DataField<string>($"output.{name}.shape"));
        }

        Schema = new ParquetSchema(fields);
    }

    /// <summary>The inputs' names and datatypes, in column order.</summary>
    public IReadOnlyList<(string Name, DataType Type)> Inputs { get; }

    /// <summary>The outputs' names and datatypes, in column order.</summary>
    public IReadOnlyList<(string Name, DataType Type)> Outputs { get; }

    /// <summary>The file's schema.</summary>
    public ParquetSchema Schema { get; }

    /// <summary>The layout of <paramref name="record"/>'s tensors.</summary>
    public static ParquetRequestLogLayout Of(RequestLogRecord record)
        => new([.. record.Inputs.Select(t => (t.Name, t.DataType))], [.. record.Outputs.Select(t => (t.Name, t.DataType))]);

    /// <summary>The layout a file's metadata describes.</summary>
    /// <exception cref="InvalidDataException">The metadata is missing or not a layout.</exception>
    public static ParquetRequestLogLayout FromMetadata(IReadOnlyDictionary<string, string> metadata)
    {
        if (!metadata.TryGetValue(MetadataKey, out var text))
        {
            throw new InvalidDataException($"no '{MetadataKey}' metadata: not a request log written by Usher");
        }

        try
        {
            using var json = JsonDocument.Parse(text);
            return new ParquetRequestLogLayout(Read(json.RootElement.GetProperty("inputs")), Read(json.RootElement.GetProperty("outputs")));
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new InvalidDataException($"'{MetadataKey}' metadata is not a tensor list: {ex.Message}", ex);
        }
    }

    /// <summary>Whether <paramref name="record"/>'s tensors fit this layout.</summary>
    public bool Fits(RequestLogRecord record) => Same(Inputs, record.Inputs) && Same(Outputs, record.Outputs);

    /// <summary>The metadata that describes this layout.</summary>
    public Dictionary<string, string> Metadata()
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            Write(json, "inputs", Inputs);
            Write(json, "outputs", Outputs);
            json.WriteEndObject();
        }

        return new Dictionary<string, string> { [MetadataKey] = System.Text.Encoding.UTF8.GetString(stream.ToArray()) };
    }

    private static bool Same(IReadOnlyList<(string Name, DataType Type)> layout, IReadOnlyList<Tensor> tensors)
    {
        if (layout.Count != tensors.Count)
        {
            return false;
        }

        for (var i = 0; i < tensors.Count; i++)
        {
            if (layout[i].Name != tensors[i].Name || layout[i].Type != tensors[i].DataType)
            {
                return false;
            }
        }

        return true;
    }

    private static void Write(Utf8JsonWriter json, string name, IReadOnlyList<(string Name, DataType Type)> tensors)
    {
        json.WriteStartArray(name);
        foreach (var (tensor, type) in tensors)
        {
            json.WriteStartObject();
            json.WriteString("name", tensor);
            json.WriteString("datatype", type.ToProtocolName());
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    private static List<(string, DataType)> Read(JsonElement array)
    {
        var tensors = new List<(string, DataType)>();
        foreach (var item in array.EnumerateArray())
        {
            var name = item.GetProperty("name").GetString() ?? "";
            if (!DataTypes.TryParse(item.GetProperty("datatype").GetString(), out var type))
            {
                throw new InvalidDataException($"tensor '{name}': unknown datatype");
            }

            tensors.Add((name, type));
        }

        return tensors;
    }
}
