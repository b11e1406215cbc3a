using ActorStream.Service;
using Microsoft.Extensions.Hosting;

var builder = Host.CreateApplicationBuilder(args);
builder.AddService();

// Runs until SIGTERM / Ctrl+C, then drains: intake stops, in-flight records finish, offsets are committed.
await builder.Build().RunAsync();
