using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Usher.Server.Protos;

namespace Usher.Server.Tests.Functional;

/// <summary>The four ways a client can send the same tensors: REST JSON, REST binary, gRPC typed, gRPC raw.</summary>
internal static class WireClient
{
    public enum Wire
    {
        RestJson,
        RestBinary,
        GrpcTyped,
        GrpcRaw,
    }

    public static Task<IReadOnlyList<WireTensor>> InferAsync(UsherApp app, Wire wire, string model, params WireTensor[] inputs) => wire switch
    {
        Wire.RestJson => RestAsync(app, model, inputs, binary: false),
        Wire.RestBinary => RestAsync(app, model, inputs, binary: true),
        Wire.GrpcTyped => GrpcAsync(app, model, inputs, raw: false),
        Wire.GrpcRaw => GrpcAsync(app, model, inputs, raw: true),
        _ => throw new ArgumentOutOfRangeException(nameof(wire)),
    };

    /// <summary>A binary-extension body: JSON header, then the blobs in input order (protocol §5).</summary>
    public static (byte[] Body, int HeaderLength) BinaryBody(IEnumerable<WireTensor> inputs, bool binaryOutputs)
    {
        var list = inputs.ToList();
        var header = Json(w =>
        {
            w.WriteStartArray("inputs");
            foreach (var t in list)
            {
                w.WriteStartObject();
                w.WriteString("name", t.Name);
                w.WriteString("datatype", Core.Tensors.DataTypes.ToProtocolName(t.Type));
                w.WriteStartArray("shape");
                foreach (var d in t.Shape)
                {
                    w.WriteNumberValue(d);
                }

                w.WriteEndArray();
                w.WriteStartObject("parameters");
                w.WriteNumber("binary_data_size", t.Binary.Length);
                w.WriteEndObject();
                w.WriteEndObject();
            }

            w.WriteEndArray();
            if (binaryOutputs)
            {
                w.WriteStartObject("parameters");
                w.WriteBoolean("binary_data_output", true);
                w.WriteEndObject();
            }
        });
        return ([.. header, .. list.SelectMany(t => t.Binary)], header.Length);
    }

    /// <summary>Splits a framed response into its outputs, JSON or binary each.</summary>
    public static async Task<IReadOnlyList<WireTensor>> ReadRestAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsByteArrayAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {System.Text.Encoding.UTF8.GetString(body)}");
        var headerLength = body.Length;
        if (response.Headers.TryGetValues("Inference-Header-Content-Length", out var values))
        {
            headerLength = int.Parse(values.Single(), CultureInfo.InvariantCulture);
            Assert.Equal("application/octet-stream", response.Content.Headers.ContentType?.MediaType);
        }

        using var json = JsonDocument.Parse(body.AsMemory(0, headerLength));
        var offset = headerLength;
        var outputs = new List<WireTensor>();
        foreach (var output in json.RootElement.GetProperty("outputs").EnumerateArray())
        {
            if (output.TryGetProperty("parameters", out var p) && p.TryGetProperty("binary_data_size", out var size))
            {
                Assert.False(output.TryGetProperty("data", out _));
                Assert.True(Core.Tensors.DataTypes.TryParse(output.GetProperty("datatype").GetString(), out var type));
                var shape = output.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
                outputs.Add(WireTensor.FromBinary(output.GetProperty("name").GetString()!, type, shape, body.AsSpan(offset, size.GetInt32())));
                offset += size.GetInt32();
            }
            else
            {
                outputs.Add(WireTensor.FromJson(output));
            }
        }

        Assert.Equal(body.Length, offset);
        return outputs;
    }

    public static byte[] Json(Action<Utf8JsonWriter> writeMembers)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            writeMembers(writer);
            writer.WriteEndObject();
        }

        return stream.ToArray();
    }

    private static async Task<IReadOnlyList<WireTensor>> RestAsync(UsherApp app, string model, WireTensor[] inputs, bool binary)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v2/models/{model}/infer");
        if (binary)
        {
            var (body, headerLength) = BinaryBody(inputs, binaryOutputs: true);
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            request.Headers.Add("Inference-Header-Content-Length", headerLength.ToString(CultureInfo.InvariantCulture));
        }
        else
        {
            request.Content = new ByteArrayContent(Json(w =>
            {
                w.WriteStartArray("inputs");
                foreach (var t in inputs)
                {
                    w.WriteStartObject();
                    w.WriteString("name", t.Name);
                    w.WriteString("datatype", Core.Tensors.DataTypes.ToProtocolName(t.Type));
                    w.WriteStartArray("shape");
                    foreach (var d in t.Shape)
                    {
                        w.WriteNumberValue(d);
                    }

                    w.WriteEndArray();
                    t.WriteJsonData(w);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
            }));
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        using var response = await app.Client.SendAsync(request);
        return await ReadRestAsync(response);
    }

    private static async Task<IReadOnlyList<WireTensor>> GrpcAsync(UsherApp app, string model, WireTensor[] inputs, bool raw)
    {
        var request = new ModelInferRequest { ModelName = model };
        foreach (var t in inputs)
        {
            request.Inputs.Add(t.ToGrpcInput(raw, request));
        }

        var response = await app.Grpc.ModelInferAsync(request);
        var hasRaw = response.RawOutputContents.Count > 0;
        Assert.True(!raw || hasRaw, "a raw request is answered raw");
        return [.. response.Outputs.Select((o, i) => WireTensor.FromGrpc(o, hasRaw ? response.RawOutputContents[i] : null))];
    }
}
