from glviz.cli import main

raise SystemExit(main())
