import multiprocessing

from capi_desktop.cli import main

if __name__ == "__main__":
    # Imports normalise big files in helper processes; a frozen app must let those start as helpers.
    multiprocessing.freeze_support()
    main()
