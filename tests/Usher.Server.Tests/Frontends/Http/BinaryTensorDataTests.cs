using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Usher.Backends.Onnx.Format;
using Usher.Core.Tensors;
using Usher.Server.Tests.Functional;
using Usher.Testing;

namespace Usher.Server.Tests.Frontends.Http;

/// <summary>The binary tensor data extension (protocol §5), with bodies built byte by byte from the spec's example.</summary>
public sealed class BinaryTensorDataTests : IAsyncLifetime
{
    // The spec's example request header, verbatim in structure: input0 UINT32 [2,2] (16 bytes),
    // input1 BOOL [3] (3 bytes), output0 asked for as binary.
    private const string SpecHeader = """
        {
          "model_name" : "mymodel",
          "inputs" : [
            { "name" : "input0", "shape" : [ 2, 2 ], "datatype" : "UINT32", "parameters" : { "binary_data_size" : 16 } },
            { "name" : "input1", "shape" : [ 3 ],    "datatype" : "BOOL",   "parameters" : { "binary_data_size" : 3 } }
          ],
          "outputs" : [ { "name" : "output0", "parameters" : { "binary_data" : true } } ]
        }
        """;

    private readonly TempDirectory _repo = new();
    private UsherApp _app = null!;

    public async Task InitializeAsync()
    {
        // mymodel: output0 = FP32(input0), output1 = input1.
        new OnnxModelBuilder("mymodel")
            .AddInput("input0", DataType.UInt32, [-1, -1])
            .AddInput("input1", DataType.Bool, [-1])
            .AddOutput("output0", DataType.Fp32, [-1, -1])
            .AddOutput("output1", DataType.Bool, [-1])
            .AddNode("Cast", ["input0"], ["output0"], OnnxAttribute.Int("to", 1))
            .AddNode("Identity", ["input1"], ["output1"])
            .Save(Path.Combine(Directory.CreateDirectory(_repo.Combine("mymodel", "1")).FullName, "model.onnx"));

        // The example's inputs have different first dimensions: the model does not batch.
        await File.WriteAllTextAsync(_repo.Combine("mymodel", "config.yaml"), "max_batch_size: 0\n");
        _app = await UsherApp.StartAsync(_repo.Path);
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        _repo.Dispose();
    }

    [Fact]
    public async Task SpecExample_ByteByByte_AnswersBinaryOutput0()
    {
        var header = Encoding.UTF8.GetBytes(SpecHeader);
        var body = new List<byte>(header);
        foreach (var value in new uint[] { 1, 2, 3, 4000000000 })
        {
            body.AddRange([(byte)value, (byte)(value >> 8), (byte)(value >> 16), (byte)(value >> 24)]);
        }

        body.AddRange([1, 0, 1]);
        Assert.Equal(header.Length + 19, body.Count);

        using var response = await PostAsync([.. body], header.Length.ToString(CultureInfo.InvariantCulture));
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, Encoding.UTF8.GetString(bytes));
        Assert.Equal("application/octet-stream", response.Content.Headers.ContentType?.MediaType);
        var headerLength = int.Parse(response.Headers.GetValues("Inference-Header-Content-Length").Single(), CultureInfo.InvariantCulture);
        Assert.Equal(headerLength + 16, bytes.Length);
        using var json = System.Text.Json.JsonDocument.Parse(bytes.AsMemory(0, headerLength));
        var output = Assert.Single(json.RootElement.GetProperty("outputs").EnumerateArray());
        Assert.Equal("output0", output.GetProperty("name").GetString());
        Assert.Equal("FP32", output.GetProperty("datatype").GetString());
        Assert.Equal(16, output.GetProperty("parameters").GetProperty("binary_data_size").GetInt32());
        Assert.False(output.TryGetProperty("data", out _));
        var floats = Enumerable.Range(0, 4).Select(i => BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(headerLength + (4 * i)))).ToArray();
        Assert.Equal([1f, 2f, 3f, 4000000000f], floats);
    }

    [Fact]
    public async Task JsonAndBinaryInputs_Mix_AndOutputsDefaultToJson()
    {
        var header = WireClient.Json(w =>
        {
            w.WriteStartArray("inputs");
            w.WriteRawValue("""{"name":"input0","shape":[1,2],"datatype":"UINT32","data":[7,8]}""");
            w.WriteRawValue("""{"name":"input1","shape":[2],"datatype":"BOOL","parameters":{"binary_data_size":2}}""");
            w.WriteEndArray();
        });
        using var response = await PostAsync([.. header, 0, 1], header.Length.ToString(CultureInfo.InvariantCulture));
        var outputs = await WireClient.ReadRestAsync(response);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal([7f, 8f], System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(outputs[0].Data).ToArray());
        Assert.Equal([0, 1], outputs[1].Data);
    }

    [Fact]
    public async Task PerOutputBinaryData_OverridesBinaryDataOutput()
    {
        var header = WireClient.Json(w =>
        {
            w.WriteStartObject("parameters");
            w.WriteBoolean("binary_data_output", true);
            w.WriteEndObject();
            w.WriteStartArray("inputs");
            w.WriteRawValue("""{"name":"input0","shape":[1,1],"datatype":"UINT32","data":[5]}""");
            w.WriteRawValue("""{"name":"input1","shape":[1],"datatype":"BOOL","data":[true]}""");
            w.WriteEndArray();
            w.WriteStartArray("outputs");
            w.WriteRawValue("""{"name":"output0","parameters":{"binary_data":false}}""");
            w.WriteRawValue("""{"name":"output1"}""");
            w.WriteEndArray();
        });
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v2/models/mymodel/infer") { Content = new ByteArrayContent(header) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await _app.Client.SendAsync(request);
        var outputs = await WireClient.ReadRestAsync(response);
        var text = Encoding.UTF8.GetString(await response.Content.ReadAsByteArrayAsync());
        Assert.Contains("\"data\":[5]", text, StringComparison.Ordinal);
        Assert.Contains("\"binary_data_size\":1", text, StringComparison.Ordinal);
        Assert.Equal([1], outputs[1].Data);
    }

    public static TheoryData<string, string, string> Malformed => new()
    {
        { "header-past-body", "9999", "Inference-Header-Content-Length is 9999, but the body has only" },
        { "size-vs-shape", "", "input 'input0': UINT32 [2,2] needs 16 bytes, but binary_data_size is 12" },
        { "left-over", "", "bytes after the JSON header, but the inputs' binary_data_size add up to 19" },
        { "past-end", "", "input 'input1': binary_data_size is 3, but only 2 bytes of binary data remain" },
        { "no-header", "none", "input 'input0' has parameters.binary_data_size, but the request has no Inference-Header-Content-Length header" },
        { "raw-body", "0", "Inference-Header-Content-Length: 0" },
        { "not-a-number", "abc", "Inference-Header-Content-Length must be one non-negative integer" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public async Task MalformedFraming_Is400NamingTheProblem(string kind, string headerValue, string expected)
    {
        var text = SpecHeader;
        var blobs = new byte[19];
        switch (kind)
        {
            case "size-vs-shape":
                text = text.Replace("\"binary_data_size\" : 16", "\"binary_data_size\" : 12", StringComparison.Ordinal);
                blobs = new byte[15];
                break;
            case "left-over":
                blobs = new byte[20];
                break;
            case "past-end":
                blobs = new byte[18];
                break;
            case "no-header":
                blobs = [];
                break;
        }

        var header = Encoding.UTF8.GetBytes(text);
        var length = headerValue switch { "" => header.Length.ToString(CultureInfo.InvariantCulture), "none" => null, _ => headerValue };
        using var response = await PostAsync([.. header, .. blobs], length);
        var message = await HttpAssert.ErrorAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains(expected, message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("deflate")]
    public async Task CodedRequestAndResponse_RoundTrip(string coding)
    {
        var header = Encoding.UTF8.GetBytes(SpecHeader);
        byte[] plain = [.. header, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 1, 1, 0];
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v2/models/mymodel/infer") { Content = new ByteArrayContent(Code(coding, plain)) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        request.Content.Headers.ContentEncoding.Add(coding);
        request.Headers.Add("Inference-Header-Content-Length", header.Length.ToString(CultureInfo.InvariantCulture));
        request.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue(coding));
        using var response = await _app.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(coding, Assert.Single(response.Content.Headers.ContentEncoding));
        var body = Decode(coding, await response.Content.ReadAsByteArrayAsync());
        var headerLength = int.Parse(response.Headers.GetValues("Inference-Header-Content-Length").Single(), CultureInfo.InvariantCulture);
        Assert.Equal([1f, 2f, 3f, 4f], System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(body.AsSpan(headerLength)).ToArray());
    }

    [Fact]
    public async Task UnknownContentEncoding_Is400NamingTheCodings()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v2/models/mymodel/infer") { Content = new ByteArrayContent("{}"u8.ToArray()) };
        request.Content.Headers.ContentEncoding.Add("br");
        var message = await HttpAssert.ErrorAsync(await _app.Client.SendAsync(request), HttpStatusCode.BadRequest);
        Assert.Contains("send gzip, deflate or identity", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServerMetadata_AdvertisesBinaryTensorData()
    {
        var json = await HttpAssert.OkJsonAsync(await _app.Client.GetAsync("/v2"));
        Assert.Contains("binary_tensor_data", json.GetProperty("extensions").EnumerateArray().Select(e => e.GetString()));
    }

    private async Task<HttpResponseMessage> PostAsync(byte[] body, string? headerLength)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v2/models/mymodel/infer") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        if (headerLength is not null)
        {
            request.Headers.TryAddWithoutValidation("Inference-Header-Content-Length", headerLength);
        }

        return await _app.Client.SendAsync(request);
    }

    private static byte[] Code(string coding, byte[] plain)
    {
        using var output = new MemoryStream();
        using (Stream stream = coding == "gzip" ? new GZipStream(output, CompressionLevel.Optimal) : new ZLibStream(output, CompressionLevel.Optimal))
        {
            stream.Write(plain);
        }

        return output.ToArray();
    }

    private static byte[] Decode(string coding, byte[] coded)
    {
        using var input = new MemoryStream(coded);
        using Stream stream = coding == "gzip" ? new GZipStream(input, CompressionMode.Decompress) : new ZLibStream(input, CompressionMode.Decompress);
        using var output = new MemoryStream();
        stream.CopyTo(output);
        return output.ToArray();
    }
}
