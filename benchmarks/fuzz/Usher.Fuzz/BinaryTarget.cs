using System.Buffers.Binary;
using Usher.Server.Frontends.Http;

namespace Usher.Fuzz;

/// <summary>
/// The binary tensor extension: the input's first two bytes are <c>Inference-Header-Content-Length</c>
/// (little-endian), the rest the body, split there as <c>InferenceEndpoint</c> splits it: the JSON
/// header, then the inputs' raw bytes.
/// </summary>
internal static class BinaryTarget
{
    public static void Run(byte[] input)
    {
        if (input.Length < 2)
        {
            return;
        }

        var headerLength = BinaryPrimitives.ReadUInt16LittleEndian(input);
        var body = input.AsMemory(2);
        if (headerLength == 0 || headerLength > body.Length)
        {
            return; // the endpoint refuses these before reading (InferenceEndpointTests)
        }

        var read = JsonInferenceRequestReader.Read(body[..headerLength], BinarySection.Of(body[headerLength..]), "m", null);
        if (read.IsSuccess)
        {
            Expect.Declared(read.Value);
        }
        else
        {
            Expect.ClientError(read.Error);
        }
    }
}
