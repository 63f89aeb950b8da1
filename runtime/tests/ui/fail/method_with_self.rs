struct Server;

impl Server {
    #[runtime::main]
    async fn run(&self) {}
}

fn main() {
    Server.run();
}
