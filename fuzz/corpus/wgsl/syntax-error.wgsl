

fn vs_main( {